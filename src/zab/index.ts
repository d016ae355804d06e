/**
 * Public surface of the consensus core: Fast Leader Election and ZAB as a pure state machine. No sockets,
 * timers, clocks, disk or randomness in here: the runtime feeds ticks and messages in and carries effects out.
 *
 * How a runtime drives a ZabPeer (etcd raft's Ready loop):
 *   1. Construct it from recovered state: epochs from the acceptedEpoch/currentEpoch files, a LogView over the
 *      txn log (everything it shows at construction must be durable), and lastAppliedZxid = the zxid the state
 *      machine holds (snapshot zxid, or the last logged zxid if the whole log was replayed).
 *   2. Call tick() every tickTime, step(from, decodeMessage(frame)) per received frame, persisted(zxid) when a
 *      group commit finishes; as leader, nextZxid()+propose() per write (synchronously, nothing in between).
 *   3. Whenever hasReady(): r = ready(), then IN THIS ORDER:
 *      a. synchronously reflect r.installSnapshot / r.truncateAfter / r.persistEntries in the LogView
 *         (an in-memory window is enough; the disk may lag), before calling into the peer again;
 *      b. make r.installSnapshot (replace state machine, log restarts after its zxid), r.truncateAfter (drop
 *         entries > it; if the state machine applied beyond it, rebuild it at exactly that zxid) and
 *         r.persistEpochs durable. These are barriers: nothing from r.messages may be sent before them;
 *      c. append r.persistEntries to the txn log; fsync in the background and call persisted(last durable zxid)
 *         later (messages do not wait: no message ever depends on entries not yet reported persisted);
 *      d. send r.messages (encodeMessage; each `to` over its peer connection; losing some is tolerated);
 *      e. apply r.committed in order (already durable locally), then answer r.syncsCompleted;
 *      f. handle r.forwardedRequests (prepare + propose them), r.sessionTouches, r.needSnapshot (call
 *         provideSnapshot(id, zxid, bytes) with the state machine at zxid, zxid within [log base, applied]),
 *         r.roleChanged (serve clients only while synced; on any change fail pending forwarded requests and
 *         syncs: they may be lost);
 *      g. advance(r).
 *      Calls into the peer between ready() and advance() are fine once (a) is done; their effects go to the
 *      next Ready.
 *   4. LogView.baseZxid() may only move up to the last zxid delivered in `committed` (entries the state machine
 *      has not applied are read back from the log); keep a window of recent entries so DIFF rarely needs SNAP.
 *      Take local snapshots only while synced, so a snapshot never holds an uncommitted entry.
 *   5. Transport: one stream per peer pair carries both election notifications and ZAB messages (the
 *      `notification` kind is just another message). The core stays safe if messages are lost, repeated or
 *      reordered; it needs eventual delivery for progress, and a FIFO link (TCP) avoids needless rejoins.
 *      Drop a peer's frames that fail decodeMessage (DecodeError) and close that connection.
 */
export { ZabPeer } from "./peer.js";
export { QuorumConfig, majority } from "./quorum.js";
export { isBetterVote, type Vote } from "./election.js";
export {
  decodeMessage, encodeMessage, formatMessage, ENTRY_PAYLOAD_BYTES_MAX, MESSAGE_BYTES_MAX, PING_TOUCHES_MAX,
  PING_TOUCH_BYTES_MAX, SNAPSHOT_BYTES_MAX, SNAPSHOT_CHUNK_BYTES_MAX, SYNC_TOKEN_BYTES_MAX, ZAB_WIRE_VERSION,
  type NotificationState, type ZabMessage, type ZabMessageKind,
} from "./messages.js";
export { COUNTER_LIMIT_DEFAULT, COUNTER_MAX, EPOCH_MAX, counterOf, epochOf, formatZxid, makeZxid } from "./zxid.js";
export { SERVER_ID_MAX, SERVER_ID_MIN } from "./types.js";
export type {
  Entry, LearnerStatus, LogView, Member, OutboundMessage, PeerRole, PeerStatus, PersistentState, Ready, RoleChange,
  ServerId, ZabOptions,
} from "./types.js";
