/**
 * Every metric Apache ZooKeeper 3.8 registers in its ServerMetrics (the metrics provider's counters, summaries
 * and sets), by name and kind, with what it means. ServerMetrics registers all of them, so `mntr`,
 * `/commands/monitor` and `/metrics` carry the same keys as a ZooKeeper server and dashboards built for one work
 * with the other. (The gauges ZooKeeperServer registers itself — znode_count, packets_sent … — are read from the
 * server at export time; see serverGauges in metric-export.ts.)
 *
 * Most metrics are fed by the matching event in Herd. Some name machinery Herd does not have (ZooKeeper's
 * commit-processor worker pool, its response cache, Netty buffers, JVM pauses …): those are registered anyway,
 * because monitoring tools expect the key, and `absentBecause` says why Herd never records an event for them.
 * They report what is true for Herd — zero events — and never an invented number.
 */
import type { SummaryDetail } from "./metrics.js";

interface Described {
  /** What ZooKeeper means by the metric (the export's help text). */
  help: string;
  /** Set when Herd has no such mechanism: why the metric stays at zero events. */
  absentBecause?: string;
}

const counter = <N extends string>(name: N, help: string, absentBecause?: string) => ({ name, kind: "counter" as const, help, absentBecause });
const counterSet = <N extends string>(name: N, help: string, absentBecause?: string) => ({ name, kind: "counterSet" as const, help, absentBecause });
const basic = <N extends string>(name: N, help: string, absentBecause?: string) => ({ name, kind: "summary" as const, detail: "basic" as const, help, absentBecause });
const advanced = <N extends string>(name: N, help: string, absentBecause?: string) => ({ name, kind: "summary" as const, detail: "advanced" as const, help, absentBecause });
const basicSet = <N extends string>(name: N, help: string, absentBecause?: string) => ({ name, kind: "summarySet" as const, detail: "basic" as const, help, absentBecause });
const advancedSet = <N extends string>(name: N, help: string, absentBecause?: string) => ({ name, kind: "summarySet" as const, detail: "advanced" as const, help, absentBecause });

// Reasons shared by several metrics.
const NO_COMMIT_PROCESSOR =
  "Herd has no commit-processor worker pool or per-session queues: committed txns are applied, and each connection's replies ordered, on the one event loop";
const NO_OBSERVER_MASTER = "Herd observers follow the leader directly; there is no observer master";
const NO_RESPONSE_CACHE = "Herd has no cache of serialized responses";
const NO_ENSEMBLE_AUTH = "Herd has no 'ensemble' auth scheme";
const NO_THROTTLER_QUEUE = "Herd throttles by pausing socket reads, so requests never wait in a throttler queue";
const NO_LEARNER_QUEUE = "Herd's peer transport writes each message to the socket at once; there is no per-learner packet queue";

/** ZooKeeper 3.8's ServerMetrics, in its registration order. */
export const ZOOKEEPER_METRICS = [
  basic("fsynctime", "Txn log write and fsync time in milliseconds, per group commit"),
  basic("snapshottime", "Snapshot write time in milliseconds"),
  basic("dbinittime", "Time in milliseconds to load the database at start-up (snapshot load plus txn replay)"),
  advanced("readlatency", "Read request latency in milliseconds, from arrival to reply"),
  advanced("updatelatency", "Write request latency in milliseconds, from arrival to reply (after fsync and apply)"),
  advanced("propagation_latency", "Milliseconds from a txn's creation on the leader (its header time) to its apply on this server"),
  basic("follower_sync_time", "Milliseconds a follower took to sync with a new leader"),
  basic("observer_sync_time", "Milliseconds an observer took to sync with a new leader"),
  basic("election_time", "Milliseconds from entering LOOKING to leading or following"),
  counter("looking_count", "Times this server entered the LOOKING state"),
  counter("diff_count", "Learner syncs the leader did with a DIFF (or TRUNC) rather than a snapshot"),
  counter("snap_count", "Learner syncs the leader did by sending a snapshot"),
  counter("commit_count", "Proposals the leader committed"),
  counter("connection_request_count", "Connection requests (ConnectRequest) received"),
  basic("connection_token_deficit", "Connection throttle token deficit at each connection request", "Herd has no connection token bucket"),
  counter("connection_rejected", "Client connections refused (maxClientCnxns per address)"),
  basic("inflight_snap_count", "Learners syncing when the leader starts a snapshot sync"),
  basic("inflight_diff_count", "Learners syncing when the leader starts a DIFF sync"),
  basicSet("write_per_namespace", "Bytes (path plus data) written per top-level path component"),
  basicSet("read_per_namespace", "Bytes (path, data or child names, and stat) read per top-level path component"),
  counter("bytes_received_count", "Bytes received from client connections"),
  counter("unrecoverable_error_count", "Unrecoverable errors (Herd: a txn log failure that stops the server)"),
  basic("node_created_watch_count", "Watchers triggered per NodeCreated event"),
  basic("node_deleted_watch_count", "Watchers triggered per NodeDeleted event"),
  basic("node_changed_watch_count", "Watchers triggered per NodeDataChanged event"),
  basic("node_children_watch_count", "Watchers triggered per NodeChildrenChanged event"),
  counter("add_dead_watcher_stall_time", "Milliseconds spent waiting to queue a dead watcher for cleaning", "Herd removes a closed connection's watches at once; nothing waits for a cleaner"),
  counter("dead_watchers_queued", "Closed connections whose watches had to be cleaned up"),
  counter("dead_watchers_cleared", "Closed connections whose watches were cleaned up"),
  advanced("dead_watchers_cleaner_latency", "Milliseconds one dead-watcher cleanup took"),
  counter("response_packet_cache_hits", "getData responses served from the response cache", NO_RESPONSE_CACHE),
  counter("response_packet_cache_misses", "getData responses not found in the response cache", NO_RESPONSE_CACHE),
  counter("response_packet_get_children_cache_hits", "getChildren responses served from the response cache", NO_RESPONSE_CACHE),
  counter("response_packet_get_children_cache_misses", "getChildren responses not found in the response cache", NO_RESPONSE_CACHE),
  counter("ensemble_auth_success", "Successful 'ensemble' scheme authentications", NO_ENSEMBLE_AUTH),
  counter("ensemble_auth_fail", "Failed 'ensemble' scheme authentications", NO_ENSEMBLE_AUTH),
  counter("ensemble_auth_skip", "Skipped 'ensemble' scheme authentications", NO_ENSEMBLE_AUTH),
  advanced("prep_processor_queue_time_ms", "Milliseconds a write waited before prep (Herd: in the leader's backlog; 0 standalone)"),
  basic("prep_processor_queue_size", "Writes still waiting for prep when one is taken"),
  counter("prep_processor_request_queued", "Requests queued for prep (Herd: writes and session ops; reads skip prep)"),
  counter("outstanding_changes_queued", "Outstanding change records added by prep"),
  counter("outstanding_changes_removed", "Outstanding change records dropped once their txn applied"),
  basic("prep_process_time", "Milliseconds prep took to turn a request into a txn"),
  basic("proposal_process_time", "Milliseconds from the end of prep to handing the txn on", "Herd logs or proposes a prepared txn in the same call; there is no hand-off to time"),
  advanced("close_session_prep_time", "Milliseconds prep took for a closeSession (finding the session's ephemerals)"),
  counter("revalidate_count", "Session revalidations with the leader (Herd: a learner catching up with the leader before deciding on a reconnecting session it does not know)"),
  counter("connection_drop_count", "Client connections the client closed without closing its session"),
  counter("connection_revalidate_count", "Reconnections to an existing session"),
  counter("sessionless_connections_expired", "Connections closed for never establishing a session", "Herd does not time out connections that have not sent a ConnectRequest"),
  counter("stale_sessions_expired", "Sessions expired for lack of heartbeats"),
  basic("unavailable_time", "Milliseconds this server could not serve, from LOOKING until it serves again"),
  basic("leader_unavailable_time", "Milliseconds from LOOKING until this server serves as leader"),
  basic("requests_in_session_queue", "Requests in a session queue of the commit processor", NO_COMMIT_PROCESSOR),
  basic("pending_session_queue_size", "Session queues with pending requests in the commit processor", NO_COMMIT_PROCESSOR),
  basic("reads_after_write_in_session_queue", "Reads queued behind a write in a session queue", NO_COMMIT_PROCESSOR),
  basic("reads_issued_from_session_queue", "Reads issued from session queues per commit-processor pass", NO_COMMIT_PROCESSOR),
  basic("session_queues_drained", "Session queues drained per commit-processor pass", NO_COMMIT_PROCESSOR),
  basic("time_waiting_empty_pool_in_commit_processor_read_ms", "Milliseconds the commit processor waited for an idle worker", NO_COMMIT_PROCESSOR),
  basic("write_batch_time_in_commit_processor", "Milliseconds the commit processor spent on a batch of writes", NO_COMMIT_PROCESSOR),
  basic("concurrent_request_processing_in_commit_processor", "Requests the commit processor's workers had in progress", NO_COMMIT_PROCESSOR),
  basic("read_commit_proc_req_queued", "Reads queued in the commit processor", NO_COMMIT_PROCESSOR),
  basic("write_commit_proc_req_queued", "Writes queued in the commit processor", NO_COMMIT_PROCESSOR),
  basic("commit_commit_proc_req_queued", "Commits queued in the commit processor", NO_COMMIT_PROCESSOR),
  counter("request_commit_queued", "Committed txns handed to be applied (ensemble only)"),
  basic("read_commit_proc_issued", "Reads issued per commit-processor pass", NO_COMMIT_PROCESSOR),
  basic("write_commit_proc_issued", "Writes issued per commit-processor pass", NO_COMMIT_PROCESSOR),
  counter("throttled_ops", "Requests marked throttled", "Herd has no per-request throttling decision"),
  advanced("read_commitproc_time_ms", "Milliseconds a read spent in the commit processor", NO_COMMIT_PROCESSOR),
  advanced("write_commitproc_time_ms", "Milliseconds a write spent in the commit processor", NO_COMMIT_PROCESSOR),
  advanced("local_write_committed_time_ms", "Milliseconds a local write spent in the commit processor after its commit", NO_COMMIT_PROCESSOR),
  advanced("server_write_committed_time_ms", "Milliseconds another server's write spent in the commit processor after its commit", NO_COMMIT_PROCESSOR),
  basic("commit_process_time", "Milliseconds the commit processor spent per pass", NO_COMMIT_PROCESSOR),
  advanced("om_proposal_process_time_ms", "Milliseconds the observer master spent on a proposal", NO_OBSERVER_MASTER),
  advanced("om_commit_process_time_ms", "Milliseconds the observer master spent on a commit", NO_OBSERVER_MASTER),
  advanced("read_final_proc_time_ms", "Milliseconds a read spent in the final processor", NO_COMMIT_PROCESSOR),
  advanced("write_final_proc_time_ms", "Milliseconds a write spent in the final processor", NO_COMMIT_PROCESSOR),
  advanced("proposal_latency", "Milliseconds from a txn's creation on the leader to a learner receiving its proposal"),
  advanced("proposal_ack_creation_latency", "Milliseconds from a txn's creation on the leader to this server logging it and acking"),
  advanced("commit_propagation_latency", "Milliseconds from a txn's creation on the leader to a learner applying its commit"),
  counter("learner_proposal_received_count", "Proposals a learner received"),
  counter("learner_commit_received_count", "Commits (COMMIT, INFORM or LEADERACK) a learner received"),
  basicSet("learner_handler_qp_size", "Packets queued for a learner, per learner", NO_LEARNER_QUEUE),
  advancedSet("learner_handler_qp_time_ms", "Milliseconds a packet waited in a learner's queue, per learner", NO_LEARNER_QUEUE),
  basic("startup_txns_loaded", "Txns replayed from the log at start-up"),
  basic("startup_txns_load_time", "Milliseconds replaying the txn log at start-up"),
  basic("startup_snap_load_time", "Milliseconds loading the snapshot at start-up"),
  advanced("sync_processor_queue_and_flush_time_ms", "Milliseconds from a txn being queued for the log to it being durable"),
  basic("sync_processor_queue_size", "Txns queued for the log when a group commit starts"),
  counter("sync_processor_request_queued", "Txns queued for the log"),
  advanced("sync_processor_queue_time_ms", "Milliseconds a txn waited for its group commit to start"),
  advanced("sync_processor_queue_flush_time_ms", "Milliseconds one group commit (write plus fsync) took"),
  basic("sync_process_time", "Milliseconds from a txn's group commit starting to it being durable"),
  basic("sync_processor_batch_size", "Txns per group commit"),
  advanced("quorum_ack_latency", "Milliseconds from the leader proposing a txn to a quorum acking it"),
  advancedSet("ack_latency", "Milliseconds from the leader proposing a txn to each server acking it, per server id"),
  counter("proposal_count", "Proposals the leader made"),
  counter("quit_leading_due_to_disloyal_voter", "Times the leader stepped down because a voter followed another leader", "Herd's consensus core does not report that cause of stepping down"),
  counter("stale_requests", "Requests whose connection had closed when the throttler took them", NO_THROTTLER_QUEUE),
  counter("stale_requests_dropped", "Stale requests the throttler dropped", NO_THROTTLER_QUEUE),
  counter("stale_replies", "Write replies not sent because the client's connection closed first"),
  advanced("request_throttle_queue_time_ms", "Milliseconds a request waited in the request throttler", NO_THROTTLER_QUEUE),
  counter("request_throttle_wait_count", "Times the server stopped reading requests because too many writes were in flight (globalOutstandingLimit)"),
  counter("large_requests_rejected", "Requests refused for their size (Herd: frames over jute.maxbuffer)"),
  basic("netty_queued_buffer_capacity", "Capacity of Netty's queued input buffer", "Herd does not use Netty"),
  counter("digest_mismatches_count", "Txn digest mismatches", "Herd keeps no tree digest"),
  basic("learner_request_processor_queue_size", "Requests queued in a learner before forwarding", "a Herd learner forwards each write to the leader as it arrives"),
  counter("unsuccessful_handshake", "Failed TLS handshakes on the secure client port"),
  counter("insecure_admin_count", "Plain HTTP requests to a TLS-enabled AdminServer", "Herd's AdminServer speaks plain HTTP only"),
  counter("tls_handshake_exceeded", "Connections refused for exceeding the TLS handshake limit", "Herd has no limit on concurrent TLS handshakes"),
  counter("cnxn_closed_without_zk_server_running", "Client connections closed because the server was not serving"),
  counter("skip_learner_request_to_next_processor_count", "Learner requests not passed on locally", "Herd has no option to skip local processing of learner requests"),
  basic("socket_closing_time", "Milliseconds closing a quorum socket took", "Herd closes quorum sockets without waiting"),
  counter("requests_not_forwarded_to_commit_processor", "Leader requests not forwarded to the commit processor", NO_COMMIT_PROCESSOR),
  counter("response_bytes", "Bytes of replies sent to clients"),
  counter("watch_bytes", "Bytes of watch notifications sent to clients"),
  advanced("jvm_pause_time_ms", "Milliseconds of JVM pauses", "Herd runs on Node.js, not a JVM"),
  counterSet("quota_exceeded_error_per_namespace", "Writes that exceeded a hard quota, per top-level path component"),
];

export type ZooKeeperMetric = (typeof ZOOKEEPER_METRICS)[number];
export type CounterName = Extract<ZooKeeperMetric, { kind: "counter" }>["name"];
export type SummaryName = Extract<ZooKeeperMetric, { kind: "summary" }>["name"];
export type SummarySetName = Extract<ZooKeeperMetric, { kind: "summarySet" }>["name"];
export type CounterSetName = Extract<ZooKeeperMetric, { kind: "counterSet" }>["name"];

/** The export's help text: ZooKeeper's meaning, plus why Herd reports nothing where it lacks the mechanism. */
export function helpText(entry: Described): string {
  return entry.absentBecause === undefined ? entry.help : `${entry.help} (always 0 events in Herd: ${entry.absentBecause})`;
}
