// Names of the storage files: `log.<hex zxid>` and `snapshot.<hex zxid>`, lower-case hex, unpadded when we
// write them. Listing parses the zxid back and sorts numerically (never by string: "log.a" > "log.10").
import * as fs from 'node:fs';
import * as path from 'node:path';

export const LOG_PREFIX = 'log.';
export const SNAPSHOT_PREFIX = 'snapshot.';

export interface ZxidFile {
  zxid: bigint;
  path: string;
}

export function zxidFileName(prefix: string, zxid: bigint): string {
  return prefix + zxid.toString(16);
}

/** Files in dir named prefix + 1..16 lower-case hex digits, ascending by zxid. Other names are ignored. */
export function listZxidFiles(dir: string, prefix: string): ZxidFile[] {
  const pattern = new RegExp(`^${prefix.replace('.', '\\.')}([0-9a-f]{1,16})$`);
  const files: ZxidFile[] = [];
  for (const name of fs.readdirSync(dir)) {
    const match = pattern.exec(name);
    if (match) files.push({ zxid: BigInt('0x' + match[1]), path: path.join(dir, name) });
  }
  return files.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}
