/** TxnLog.truncateAfter: a new leader's TRUNC drops the tail across files, durably, and appends continue. */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import { TxnLog } from "../../src/storage/index.js";
import { silentLogger } from "../../src/base/logger.js";

const payload = (z: number) => Buffer.from(`txn-${z}`);

async function zxidsIn(log: TxnLog): Promise<number[]> {
  return [...log.readAfter(0n)].map((t) => Number(t.zxid));
}

test("truncateAfter drops later records and files; appends resume and survive reopen", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "herd-trunc-"));
  try {
    let log = await TxnLog.open(dir, { logger: silentLogger });
    for (let z = 1; z <= 30; z++) {
      if (z === 11 || z === 21) log.roll();
      await log.append(BigInt(z), payload(z));
    }
    await log.truncateAfter(15n);
    assert.deepEqual(await zxidsIn(log), Array.from({ length: 15 }, (_, i) => i + 1));
    assert.equal(log.lastZxid(), 15n);
    await log.append(16n, Buffer.from("new-16"));
    await log.close();

    log = await TxnLog.open(dir, { logger: silentLogger });
    const all = [...log.readAfter(0n)];
    assert.deepEqual(all.map((t) => Number(t.zxid)), Array.from({ length: 16 }, (_, i) => i + 1));
    assert.equal(all.at(-1)!.payload.toString(), "new-16");
    await log.truncateAfter(0n);
    assert.deepEqual(await zxidsIn(log), []);
    await log.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
