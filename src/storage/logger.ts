// The logging surface the storage layer needs; the runtime passes its own, tests pass a recorder.
export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
}

export const consoleLogger: Logger = {
  info: (msg) => console.info(msg),
  warn: (msg) => console.warn(msg),
};
