/**
 * TLS settings for the secure client port, read from ZooKeeper's zoo.cfg keys (also with the `zookeeper.`
 * prefix): secureClientPort, secureClientPortAddress, ssl.keyStore.location (PEM with the key and the
 * certificate, possibly one file), ssl.keyStore.password, ssl.trustStore.location (PEM CA bundle),
 * ssl.clientAuth (none | want | need, default need), X509AuthenticationProvider.superUser.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ConfigError, type ServerConfig } from "./server-config.js";

export type ClientAuthMode = "none" | "want" | "need";

export interface TlsSettings {
  port: number;
  host: string;
  keyPem: string;
  certPem: string;
  passphrase: string | undefined;
  caPem: string | undefined;
  clientAuth: ClientAuthMode;
  /** x509 subject (RFC 2253) that is a super user. */
  superUser: string | null;
}

function raw(config: ServerConfig, key: string): string | undefined {
  return config.raw.get(key) ?? config.raw.get(`zookeeper.${key}`);
}

function readPem(key: string, file: string, baseDir: string): string {
  const resolved = path.resolve(baseDir, file);
  try {
    return fs.readFileSync(resolved, "utf8");
  } catch (e) {
    throw new ConfigError(`${key}=${file}: cannot read ${resolved}: ${(e as Error).message}`);
  }
}

/** The secure port's settings, or null when secureClientPort is not set. */
export function readTlsSettings(config: ServerConfig, baseDir = process.cwd()): TlsSettings | null {
  const portText = raw(config, "secureClientPort");
  if (portText === undefined) return null;
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new ConfigError(`secureClientPort="${portText}" is invalid; expected a port from 0 to 65535`);
  }
  const keyStore = raw(config, "ssl.keyStore.location");
  if (keyStore === undefined) throw new ConfigError("secureClientPort is set but ssl.keyStore.location is missing");
  const keyStoreType = raw(config, "ssl.keyStore.type");
  if (keyStoreType !== undefined && keyStoreType.toUpperCase() !== "PEM") {
    throw new ConfigError(`ssl.keyStore.type="${keyStoreType}" is not supported; Herd reads PEM files`);
  }
  const pem = readPem("ssl.keyStore.location", keyStore, baseDir);
  const trustStore = raw(config, "ssl.trustStore.location");
  const clientAuth = (raw(config, "ssl.clientAuth") ?? "need").toLowerCase();
  if (clientAuth !== "none" && clientAuth !== "want" && clientAuth !== "need") {
    throw new ConfigError(`ssl.clientAuth="${clientAuth}" is invalid; expected none, want or need`);
  }
  return {
    port,
    host: raw(config, "secureClientPortAddress") ?? config.clientPortAddress,
    keyPem: pem,
    certPem: pem,
    passphrase: raw(config, "ssl.keyStore.password"),
    caPem: trustStore === undefined ? undefined : readPem("ssl.trustStore.location", trustStore, baseDir),
    clientAuth,
    superUser: raw(config, "X509AuthenticationProvider.superUser") ?? null,
  };
}
