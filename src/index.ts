/** Herd's public entry point: the server, its configuration, and the embeddable testing server. */
export { HerdServer } from "./runtime/herd-server.js";
export { defaultServerConfig, loadServerConfig, parseServerConfig, ConfigError, type ServerConfig } from "./config/server-config.js";
export { TestingServer, type TestingServerOptions } from "./testing/index.js";
export { consoleLogger, silentLogger, type Logger } from "./base/logger.js";
