/**
 * acceptedEpoch and currentEpoch, as ZooKeeper keeps them: decimal text files in dataDir/version-2, replaced
 * atomically (write a temp file, fsync, rename, fsync the directory) before the core acts on a new value.
 */
import * as fs from "node:fs";
import * as path from "node:path";

export class EpochFiles {
  constructor(private readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  read(name: "acceptedEpoch" | "currentEpoch"): number {
    const file = path.join(this.dir, name);
    if (!fs.existsSync(file)) return 0;
    const text = fs.readFileSync(file, "utf8").trim();
    const value = Number(text);
    if (!Number.isInteger(value) || value < 0) throw new Error(`${file} holds '${text}', not an epoch`);
    return value;
  }

  write(name: "acceptedEpoch" | "currentEpoch", value: number): void {
    const file = path.join(this.dir, name);
    const tmp = `${file}.tmp`;
    const fd = fs.openSync(tmp, "w");
    try {
      fs.writeSync(fd, `${value}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
    const dirFd = fs.openSync(this.dir, "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  }
}
