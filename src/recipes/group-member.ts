/**
 * GroupMember: membership in a group of processes (Curator's GroupMember). Each member keeps an ephemeral
 * `<path>/<id>` holding its payload (a PersistentEphemeralNode) and caches the group (a TreeCache), so
 * `currentMembers()` answers locally and `membersChanged` follows every join, leave and payload change.
 */
import { EventEmitter } from "node:events";
import type { NodeData } from "../client/index.js";
import { PersistentEphemeralNode } from "./persistent-ephemeral-node.js";
import type { RecipeClient } from "./session.js";
import { checkPath, joinPath, nodeNameOf, parentOf } from "./support.js";
import { TreeCache } from "./tree-cache.js";

/** Events of a GroupMember. */
export interface GroupMemberEvents {
  /** Someone joined, left, or changed their payload. */
  membersChanged: [];
  error: [Error];
}

/**
 * This process's membership in a group, and a live view of the other members.
 *
 * ```ts
 * const member = new GroupMember(zk, "/groups/indexers", "indexer-3", "10.0.0.3:9000");
 * await member.start();
 * member.currentMembers(); // Map { "indexer-1" => <Buffer ...>, "indexer-3" => <Buffer ...> }
 * ```
 */
export class GroupMember extends EventEmitter<GroupMemberEvents> {
  private readonly node: PersistentEphemeralNode;
  private readonly cache: TreeCache;

  constructor(source: RecipeClient, readonly membershipPath: string, readonly thisId: string, payload: NodeData = null) {
    super();
    checkPath(membershipPath, "membership path");
    if (thisId === "" || thisId.includes("/")) throw new TypeError(`member id must be a non-empty node name, got ${JSON.stringify(thisId)}`);
    this.node = new PersistentEphemeralNode(source, joinPath(membershipPath, thisId), payload);
    this.cache = new TreeCache(source, membershipPath);
    const changed = (node: { path: string }) => {
      if (parentOf(node.path) === membershipPath) this.emit("membersChanged");
    };
    this.cache.on("created", changed);
    this.cache.on("changed", (_previous, node) => changed(node));
    this.cache.on("deleted", changed);
    const forward = (err: Error) => {
      if (this.listenerCount("error") > 0) this.emit("error", err);
    };
    this.cache.on("error", forward);
    this.node.on("error", forward);
  }

  /** Joins (in the background) and loads the group; resolves once the group view is initialized. */
  async start(): Promise<void> {
    this.node.start();
    await this.cache.start();
  }

  /** Resolves true once our own node exists, false after `timeoutMs`. */
  waitForJoin(timeoutMs?: number): Promise<boolean> {
    return this.node.waitForInitialCreate(timeoutMs);
  }

  /** Changes our payload. */
  setThisData(payload: NodeData): Promise<void> {
    return this.node.setData(payload);
  }

  /** Members by id with their payloads; this member is always included. */
  currentMembers(): Map<string, Buffer> {
    const members = new Map<string, Buffer>();
    for (const name of this.cache.childrenOf(this.membershipPath)) {
      const node = this.cache.get(joinPath(this.membershipPath, name));
      if (node) members.set(nodeNameOf(node.path), node.data);
    }
    if (!members.has(this.thisId)) members.set(this.thisId, this.node.data ?? Buffer.alloc(0));
    return members;
  }

  /** Leaves the group. */
  async close(): Promise<void> {
    await this.cache.close();
    await this.node.close();
  }
}
