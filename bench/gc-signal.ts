/** How the runner asks a benchmarked Herd process for a full GC and how it answers (see herd-gc.ts). */
export const gcSignal = "SIGUSR2";
export const gcDoneLine = "herd-bench: gc done";
