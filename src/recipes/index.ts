/**
 * Herd's ZooKeeper recipes (what Apache Curator's recipes are to Java), built only on the public client API
 * in src/client/. Each recipe uses Curator's znode layout and data formats, so Node and Java processes can
 * share a lock, an election, a queue, a counter or a service registry. See docs/RECIPES.md.
 */
export { RenewingClient, currentClient } from "./session.js";
export type { RecipeClient, RenewingClientEvents } from "./session.js";
export { Mutex, MUTEX_LOCK_NAME } from "./mutex.js";
export type { MutexOptions } from "./mutex.js";
export { ReadWriteLock, READ_LOCK_NAME, WRITE_LOCK_NAME } from "./read-write-lock.js";
export type { ReadWriteLockHalf, ReadWriteLockOptions } from "./read-write-lock.js";
export { Semaphore, SEMAPHORE_LEASES, SEMAPHORE_LEASE_NAME, SEMAPHORE_LEASES_PER_ACQUIRE_MAX, SEMAPHORE_LOCKS } from "./semaphore.js";
export type { Lease, SemaphoreOptions } from "./semaphore.js";
export { LeaderLatch, LATCH_NAME } from "./leader-latch.js";
export type { LeaderLatchEvents, LeaderLatchOptions, Participant } from "./leader-latch.js";
export { LeaderElection, LeadershipLostError } from "./leader-election.js";
export type { Leadership, LeadershipTask, LeaderElectionEvents, LeaderElectionOptions } from "./leader-election.js";
export { Barrier } from "./barrier.js";
export { DoubleBarrier, DOUBLE_BARRIER_READY } from "./double-barrier.js";
export { DistributedQueue, QUEUE_ITEM_PREFIX, bufferSerializer, jsonSerializer, stringSerializer } from "./queue.js";
export type { DistributedQueueOptions, QueueSerializer } from "./queue.js";
export { PriorityQueue, priorityTag } from "./priority-queue.js";
export { SharedCounter } from "./shared-counter.js";
export type { SharedCounterEvents, VersionedCount } from "./shared-counter.js";
export { AtomicLong, ATOMIC_RETRIES_MAX } from "./atomic-long.js";
export type { AtomicLongOptions, AtomicResult } from "./atomic-long.js";
export { TreeCache, TREE_CACHE_NODES_MAX_DEFAULT } from "./tree-cache.js";
export type { CachedNode, TreeCacheEvents, TreeCacheOptions } from "./tree-cache.js";
export { PersistentEphemeralNode } from "./persistent-ephemeral-node.js";
export type { PersistentEphemeralNodeEvents, PersistentEphemeralNodeOptions, PersistentNodeMode } from "./persistent-ephemeral-node.js";
export { GroupMember } from "./group-member.js";
export type { GroupMemberEvents } from "./group-member.js";
export {
  ServiceCache,
  ServiceDiscovery,
  ServiceProvider,
  deserializeInstance,
  newServiceInstance,
  randomStrategy,
  roundRobinStrategy,
  serializeInstance,
} from "./service-discovery.js";
export type {
  ProviderStrategy,
  ServiceCacheEvents,
  ServiceDiscoveryOptions,
  ServiceInstance,
  ServiceInstanceInit,
  ServiceType,
  UriSpec,
} from "./service-discovery.js";
export { PROTECTED_PREFIX, isProtectedName, unprotectedName } from "./support.js";
