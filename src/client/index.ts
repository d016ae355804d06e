/** Herd's ZooKeeper client: the public surface. Everything else in src/client/ is internal. */
export { createClient, ZooKeeperClient } from "./client.js";
export { WATCH_STREAM_BUFFER_MAX } from "./watch-stream.js";
export type {
  ClientEvents,
  ClientInfo,
  ClientOptions,
  GetDataResult,
  ReconfigRequest,
  PersistentWatchMode,
  ReadErrorResult,
  ReadOp,
  ReadOpResult,
  ServerInfo,
  SessionState,
  SessionTransition,
  WatchOption,
  WatchStream,
  WatchStreamOptions,
  WatcherTypeName,
} from "./client.js";
export { CreateMode, TTL_MS_MAX } from "./create-mode.js";
export type { CreateOptions, NodeData } from "./create-mode.js";
export { Transaction } from "./transaction.js";
export type { CheckOpResult, CreateOpResult, DeleteOpResult, SetDataOpResult, TransactionOpResult } from "./transaction.js";
export type { WatchEvent, WatchEventType, Watcher } from "./watches.js";
export { parseConnectString } from "./connect-string.js";
export type { ConnectString, ServerAddress } from "./connect-string.js";
export {
  ANYONE_ID_UNSAFE,
  AUTH_IDS,
  CREATOR_ALL_ACL,
  OPEN_ACL_UNSAFE,
  Perms,
  READ_ACL_UNSAFE,
  digestAcl,
  digestId,
  ipAcl,
  worldAcl,
} from "./acl.js";
export type { ACL, Id } from "./acl.js";
export type { Stat } from "../jute/records.js";
export { isRetryable, retry } from "./retry.js";
export type { RetryOptions } from "./retry.js";
export * from "./errors.js";
export { statJson, type StatJson } from "./stat-json.js";
