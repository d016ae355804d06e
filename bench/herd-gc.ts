/**
 * Runs Herd's own command line (dist/src/bin/herd.js, same arguments) in this process and adds one thing the
 * benchmark needs and Herd does not offer: SIGUSR2 (gc-signal.ts) forces a full garbage collection (node runs
 * this with --expose-gc) and prints "herd-bench: gc done", so memory is measured on live data only, as
 * `jcmd GC.run` does for ZooKeeper. Nothing else about the server changes.
 */
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { gcDoneLine, gcSignal } from "./gc-signal.js";

const gc = (globalThis as { gc?: () => void }).gc;

process.on(gcSignal, () => {
  if (gc !== undefined) {
    // Twice: the first pass may only queue finalizers and weak references the second one frees.
    gc();
    gc();
  }
  process.stdout.write(gc === undefined ? "herd-bench: gc unavailable (run node with --expose-gc)\n" : `${gcDoneLine}\n`);
});

const herdBin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../src/bin/herd.js");
// A computed specifier, so compiling bench/ does not pull all of src/ into that build.
await import(pathToFileURL(herdBin).href);
