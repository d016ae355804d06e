// Public surface of the storage layer: the txn log, snapshot files and purging of old files.
export { CorruptLogError, TxnLog, BATCH_BYTES_MAX } from './txn-log.js';
export type { LoggedTxn, TxnBatch, TxnLogOptions } from './txn-log.js';
export type { Logger } from './logger.js';
export { PAYLOAD_BYTES_MAX } from './log-format.js';
export { SnapshotStore } from './snapshot-store.js';
export { SNAPSHOT_BODY_BYTES_MAX } from './snapshot-format.js';
export { purgeOldFiles, SNAPSHOT_RETAIN_COUNT_MIN } from './purge.js';
