/** The wire codec: codes, records and framing of ZooKeeper's client protocol. */
export * from "./codes.js";
export * from "./records.js";
export * from "./frame.js";
export { ByteReader, ByteWriter, DecodeError } from "../base/bytes.js";
