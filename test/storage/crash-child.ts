// Child process for crash.test.ts: appends zxids 1..max (rolling now and then), keeping a window of appends in
// flight, and prints each zxid on its own line once its append has resolved. Its parent kills it with SIGKILL.
// Writes to a pipe are synchronous on Linux, so a printed zxid was durable before it was printed.
import { TxnLog } from '../../src/storage/txn-log.js';
import { payloadFor } from './helpers.js';

const IN_FLIGHT_MAX = 16;
const ROLL_EVERY = 97n;

async function main(dir: string, max: bigint): Promise<void> {
  const log = await TxnLog.open(dir, { logger: { info: () => undefined, warn: () => undefined } });
  let next = log.lastZxid() + 1n;
  while (next <= max) {
    const window: Promise<void>[] = [];
    for (let i = 0; i < IN_FLIGHT_MAX && next <= max; i++, next++) {
      const zxid = next;
      if (zxid % ROLL_EVERY === 0n) log.roll();
      window.push(log.append(zxid, payloadFor(zxid)).then(() => void process.stdout.write(`${zxid}\n`)));
    }
    await Promise.all(window);
  }
  await log.close();
}

const [dir, max] = process.argv.slice(2);
await main(dir!, BigInt(max!));
