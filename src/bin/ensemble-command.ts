/**
 * `herd ensemble --size N [--observers M] [--dir ./data/ensemble] [--base-port 2181]`: a local ensemble for
 * development. Lays out one zoo.cfg + dataDir per member, runs each as a `herd server` child process, prefixes
 * their output with the member id, prints the connect string, and stops them all on Ctrl-C / SIGTERM.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { connectStringOf, planLocalEnsemble } from "../testing/local-ensemble.js";

export async function ensembleMain(args: string[]): Promise<number> {
  let size = 3;
  let observers = 0;
  let dir = path.resolve("data", "ensemble");
  let basePort = 2181;
  for (let i = 0; i < args.length; i++) {
    const value = args[i + 1];
    switch (args[i]) {
      case "--size":
        size = Number(value);
        i++;
        break;
      case "--observers":
        observers = Number(value);
        i++;
        break;
      case "--dir":
        dir = path.resolve(value ?? dir);
        i++;
        break;
      case "--base-port":
        basePort = Number(value);
        i++;
        break;
      default:
        process.stderr.write(`herd ensemble: unknown argument ${args[i]}\n`);
        return 64;
    }
  }
  if (!Number.isInteger(size) || size < 1 || size > 9 || !Number.isInteger(observers) || observers < 0 || observers > 9) {
    process.stderr.write("herd ensemble: --size must be 1..9 and --observers 0..9\n");
    return 64;
  }
  const plans = await planLocalEnsemble({ size, observers, baseDir: dir, basePort, tickTimeMs: 500 });
  const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), "herd.js");
  const children: ChildProcess[] = plans.map((plan) => {
    const child = spawn(process.execPath, [bin, "server", "--config", plan.cfgFile], { stdio: ["ignore", "pipe", "pipe"] });
    const prefix = (chunk: Buffer) =>
      chunk.toString("utf8").split("\n").filter((l) => l.length > 0).map((l) => `[server${plan.id}] ${l}\n`).join("");
    child.stdout!.on("data", (c: Buffer) => process.stdout.write(prefix(c)));
    child.stderr!.on("data", (c: Buffer) => process.stderr.write(prefix(c)));
    return child;
  });
  process.stdout.write(`Herd ensemble of ${size}${observers > 0 ? ` + ${observers} observer(s)` : ""}, data under ${dir}\n`);
  process.stdout.write(`connect string: ${connectStringOf(plans)}\n`);
  const exited = children.map((c) => new Promise<void>((resolve) => c.once("exit", () => resolve())));
  await new Promise<void>((resolve) => {
    const stop = () => {
      for (const c of children) c.kill("SIGTERM");
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    void Promise.all(exited).then(() => resolve());
  });
  await Promise.all(exited);
  return 0;
}
