/**
 * Naming service: globally unique, ordered ids from sequential nodes. Each id is one PERSISTENT_SEQUENTIAL
 * create under /examples/naming/ids; the server appends a counter kept by the parent node, so no two creates
 * anywhere ever get the same number, and a later create gets a larger one. The node itself is not needed
 * afterwards and is deleted (the counter keeps counting).
 *
 *   node dist/examples/naming/id-client.js [--name c1] [--count 5] [--server host:port]
 */
import { connect, ensurePath, Flags, onStop, runMain, say, sequenceOf } from "../shared/cli.js";

const IDS_PARENT = "/examples/naming/ids";

const USAGE = "usage: node dist/examples/naming/id-client.js [--name c1] [--count 5] [--server host:port]";

async function main(): Promise<void> {
  const flags = Flags.parse(USAGE, { name: "value", count: "value" });
  const name = flags.string("name", `client-${process.pid}`);
  const count = flags.count("count", 5);
  const zk = await connect(flags.server, name);
  onStop(() => zk.close());
  await ensurePath(zk, IDS_PARENT);
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const created = await zk.create(`${IDS_PARENT}/id-`, name, { mode: "persistentSequential" });
    const id = sequenceOf(created);
    await zk.delete(created);
    ids.push(id);
    say(name, `got id ${id} (from ${created})`);
  }
  say(name, count === 0 ? "done: no ids asked for" : `done: ${count} ids, from ${ids[0]} to ${ids[ids.length - 1]}`);
  await zk.close();
}

runMain("naming", main);
