/** `herd/testing`: a server or an ensemble for Node test suites. */
export { TestingServer, type TestingServerOptions } from "./testing-server.js";
export { TestingCluster, type TestingClusterOptions } from "./testing-cluster.js";
