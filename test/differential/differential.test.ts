/**
 * Differential test: one scripted sequence of mixed operations (every node type, errors, multi, ACLs,
 * watches, sessions) runs against Apache ZooKeeper 3.8 and against Herd, both started here, and every reply
 * and every notification is compared field by field, Stats included. What is masked and how zxids are
 * compared is described in ./support.ts.
 */
import { test } from "node:test";
import { AddWatchMode, CreateFlag, OpCode, Perm, WatcherType } from "../../src/jute/index.js";
import type { ACL, Request } from "../../src/jute/index.js";
import { createRequest, createTTLRequest } from "../helpers/raw-client.js";
import { REFERENCE, SUBJECT, runDifferential } from "./support.js";
import type { Step } from "./support.js";

type ClientName = "A" | "B" | "D";
const CLIENTS: ClientName[] = ["A", "B", "D"];

const OPEN: ACL[] = [{ perms: Perm.ALL, id: { scheme: "world", id: "anyone" } }];
const world = (perms: number, id = "anyone"): ACL[] => [{ perms, id: { scheme: "world", id } }];

const step = (who: ClientName, label: string, run: Step<ClientName>["run"]): Step<ClientName> => ({ who, label, run });
const create = (path: string, data: string | null, flags = 0, acl: ACL[] | null = OPEN): Request =>
  createRequest(OpCode.create, path, data, { flags, acl });
const setData = (path: string, data: string, version = -1): Request => ({ op: "setData", path, data: Buffer.from(data), version });

/** The script. Paths live under /d; the three sessions are A, B and D (D authenticates as alice). */
const SCRIPT: Step<ClientName>[] = [
  step("A", "create /d", (c) => c.create("/d", "root")),
  step("A", "create2 /d/p", (c) => c.create2("/d/p", "p")),
  step("A", "create /d/p again: NodeExists", (c) => c.create("/d/p", "again")),
  step("A", "create under a missing parent: NoNode", (c) => c.create("/d/missing/x")),
  step("A", "exists watch on missing /d/w", (c) => c.exists("/d/w", true)),
  step("B", "getChildren2 watch on /d", (c) => c.getChildren2("/d", true)),
  step("A", "create2 /d/w fires NodeCreated + NodeChildrenChanged", (c) => c.create2("/d/w", "w")),
  step("A", "getData watch /d/w", (c) => c.getData("/d/w", true)),
  step("B", "exists watch /d/w", (c) => c.exists("/d/w", true)),
  step("A", "setData /d/w v0 fires NodeDataChanged to A and B", (c) => c.setData("/d/w", "w2", 0)),
  step("A", "setData /d/w v0 again: BadVersion", (c) => c.setData("/d/w", "w3", 0)),
  step("A", "sequential /d/s-", (c) => c.create("/d/s-", null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })),
  step("A", "sequential /d/s- again", (c) => c.create2("/d/s-", "s", { flags: CreateFlag.PERSISTENT_SEQUENTIAL })),
  step("A", "ephemeral /d/e", (c) => c.create2("/d/e", "e", { flags: CreateFlag.EPHEMERAL })),
  step("B", "ephemeral sequential /d/es-", (c) => c.create2("/d/es-", null, { flags: CreateFlag.EPHEMERAL_SEQUENTIAL })),
  step("A", "child of an ephemeral: NoChildrenForEphemerals", (c) => c.create("/d/e/child")),
  step("A", "container /d/c", (c) => c.createContainer("/d/c", "c")),
  step("A", "child of the container", (c) => c.create2("/d/c/k")),
  step("A", "TTL node /d/t", (c) => c.createTTL("/d/t", "t", 600_000n)),
  step("A", "TTL 0: BadArguments", (c) => c.createTTL("/d/t2", null, 0n)),
  step("A", "flags 7: BadArguments", (c) => c.create("/d/x", null, { flags: 7 })),
  step("A", "op 1 with TTL flags: BadArguments", (c) => c.create("/d/x", null, { flags: CreateFlag.PERSISTENT_WITH_TTL })),
  step("A", "getChildren2 /d", (c) => c.getChildren2("/d")),
  step("A", "getData /d", (c) => c.getData("/d")),
  step("A", "delete non-empty /d: NotEmpty", (c) => c.delete("/d")),
  step("A", "delete /d version 9: BadVersion first", (c) => c.delete("/d", 9)),
  step("A", "delete /zookeeper: BadArguments", (c) => c.delete("/zookeeper")),
  step("A", "delete missing node: NoNode", (c) => c.delete("/d/nope")),
  step("A", "multi create/create/setData/check/delete", (c) => c.multi([
    create("/d/m1", "1"),
    create("/d/m2", null),
    setData("/d/m1", "11", 0),
    { op: "check", path: "/d/m1", version: 1 },
    { op: "delete", path: "/d/m2", version: -1 },
  ])),
  step("A", "multi with container and TTL creates", (c) => c.multi([
    createRequest(OpCode.createContainer, "/d/mc", null, { flags: CreateFlag.CONTAINER }),
    createTTLRequest("/d/mt", "x", 600_000n),
    create("/d/mseq-", null, CreateFlag.PERSISTENT_SEQUENTIAL),
    create("/d/mseq-", null, CreateFlag.PERSISTENT_SEQUENTIAL),
  ])),
  step("A", "failing multi: NodeExists in the middle", (c) => c.multi([create("/d/m3", null), create("/d/m1", null), setData("/d", "x")])),
  step("A", "empty multi", (c) => c.multi([])),
  step("A", "read op inside multi: MarshallingError", (c) => c.multi([{ op: "getData", path: "/d", watch: false }])),
  step("A", "multiRead mixed results", (c) => c.multiRead([
    { op: "getData", path: "/d/m1", watch: false },
    { op: "getChildren", path: "/d", watch: false },
    { op: "getData", path: "/d/nope", watch: false },
  ])),
  step("D", "auth digest alice", (c) => c.auth("digest", "alice:secret")),
  step("D", "create /d/acl with the auth scheme", (c) => c.create2("/d/acl", "secret", { acl: [{ perms: Perm.ALL, id: { scheme: "auth", id: "" } }] })),
  step("A", "getData without the identity: NoAuth", (c) => c.getData("/d/acl")),
  step("D", "getData as alice", (c) => c.getData("/d/acl")),
  step("A", "getACL without READ or ADMIN: NoAuth", (c) => c.getACL("/d/acl")),
  step("D", "getACL as alice (ADMIN: unmasked)", (c) => c.getACL("/d/acl")),
  step("D", "setACL to READ|ADMIN for alice + world READ", (c) => c.setACL("/d/acl", [
    { perms: Perm.READ | Perm.ADMIN, id: { scheme: "auth", id: "" } },
    ...world(Perm.READ),
  ], 0)),
  step("A", "getACL with READ only: digest masked", (c) => c.getACL("/d/acl")),
  step("D", "create /d/open world READ|CREATE", (c) => c.create("/d/open", null, { acl: world(Perm.READ | Perm.CREATE) })),
  step("A", "setData without WRITE: NoAuth", (c) => c.setData("/d/open", "x")),
  step("A", "create under CREATE-only parent", (c) => c.create("/d/open/k")),
  step("A", "delete under a parent without DELETE: NoAuth", (c) => c.delete("/d/open/k")),
  step("A", "empty ACL: InvalidACL", (c) => c.create("/d/bad", null, { acl: [] })),
  step("A", "world:someone: InvalidACL", (c) => c.create("/d/bad", null, { acl: world(Perm.ALL, "someone") })),
  step("A", "auth scheme without identity: InvalidACL", (c) => c.create("/d/bad", null, { acl: [{ perms: Perm.ALL, id: { scheme: "auth", id: "" } }] })),
  step("A", "setACL /d/p version 0", (c) => c.setACL("/d/p", world(Perm.ALL), 0)),
  step("A", "setACL /d/p version 0 again: BadVersion", (c) => c.setACL("/d/p", world(Perm.ALL), 0)),
  step("A", "getACL /d/p", (c) => c.getACL("/d/p")),
  step("A", "recursive watch on /d/r", (c) => c.addWatch("/d/r", AddWatchMode.PersistentRecursive)),
  step("B", "create /d/r", (c) => c.create("/d/r")),
  step("B", "create /d/r/a", (c) => c.create("/d/r/a", "a")),
  step("B", "setData /d/r/a", (c) => c.setData("/d/r/a", "b")),
  step("B", "delete /d/r/a", (c) => c.delete("/d/r/a")),
  step("A", "removeWatches Any on /d/r", (c) => c.removeWatches("/d/r", WatcherType.Any)),
  step("A", "checkWatches Data on /d/r: NoWatcher", (c) => c.checkWatches("/d/r", WatcherType.Data)),
  step("A", "persistent watch on /d/c", (c) => c.addWatch("/d/c", AddWatchMode.Persistent)),
  step("A", "delete the container's child", (c) => c.delete("/d/c/k")),
  step("B", "setWatches relative to the first setData", (c, ctx) => c.setWatches(ctx.zxids.get("setData /d/w v0 fires NodeDataChanged to A and B") ?? 0n, {
    data: ["/d/w", "/d/p", "/d/gone"],
    exist: ["/d/m1", "/d/later"],
    child: ["/d", "/d/r"],
  })),
  step("A", "create /d/later fires B's exist watch", (c) => c.create("/d/later")),
  step("A", "sync /d", (c) => c.sync("/d")),
  step("A", "getAllChildrenNumber /d", (c) => c.getAllChildrenNumber("/d")),
  step("B", "getEphemerals /d", (c) => c.getEphemerals("/d")),
  step("A", "getEphemerals /", (c) => c.getEphemerals("/")),
  step("A", "getChildren watch /d before B closes", (c) => c.getChildren("/d", true)),
  step("B", "closeSession deletes B's ephemeral", (c) => c.close()),
  step("A", "getChildren2 /d after B closed", (c) => c.getChildren2("/d")),
  step("A", "setData /zookeeper/config: NoAuth", (c) => c.setData("/zookeeper/config", "x")),
  step("A", "getData /zookeeper/config", (c) => c.getData("/zookeeper/config")),
  step("A", "getChildren2 /zookeeper", (c) => c.getChildren2("/zookeeper")),
  step("A", "sequential after deletes counts all creates", (c) => c.create("/d/s-", null, { flags: CreateFlag.PERSISTENT_SEQUENTIAL })),
  step("A", "exists /d", (c) => c.exists("/d")),
  step("A", "ping", (c) => c.ping()),
];

test(`differential: ${SCRIPT.length} scripted operations give identical replies and events on ${REFERENCE} and ${SUBJECT}`, async () => {
  await runDifferential({ clients: CLIENTS, steps: SCRIPT });
});
