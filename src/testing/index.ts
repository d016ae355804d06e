/** `herd/testing`: servers for Node test suites. */
export { TestingServer, type TestingServerOptions } from "./testing-server.js";
