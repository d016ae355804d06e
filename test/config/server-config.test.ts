// Tests for the zoo.cfg reader: Java properties syntax, defaults, every key (and its zookeeper.-prefixed spelling),
// the error message for each bad value, server.N lines, and a sample zoo.cfg as the Debian package ships it.

import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import {
  parseProperties,
  parsePropertyEntries,
  PropertiesSyntaxError,
  trimLikeJava,
} from "../../src/config/properties.js";
import {
  ConfigError,
  defaultServerConfig,
  loadServerConfig,
  parseServerConfig,
  type ServerConfig,
} from "../../src/config/server-config.js";

const BASE_DIR = "/srv/herd";

function parse(text: string): ServerConfig {
  return parseServerConfig(text, { baseDir: BASE_DIR });
}

describe("properties syntax", () => {
  const cases: Array<{ name: string; text: string; expected: Array<[string, string]> }> = [
    { name: "= separator", text: "a=b", expected: [["a", "b"]] },
    { name: ": separator", text: "a:b", expected: [["a", "b"]] },
    { name: "whitespace separator", text: "a b", expected: [["a", "b"]] },
    { name: "whitespace around =", text: "a \t = \t b", expected: [["a", "b"]] },
    { name: "whitespace then : ", text: "a   :   b", expected: [["a", "b"]] },
    { name: "only the first separator is consumed", text: "a:=b", expected: [["a", "=b"]] },
    { name: "= inside the value is kept", text: "a=b=c:d", expected: [["a", "b=c:d"]] },
    { name: "key alone has an empty value", text: "lonely", expected: [["lonely", ""]] },
    { name: "key with separator only", text: "a =   ", expected: [["a", ""]] },
    { name: "leading whitespace of the line", text: "   \t a=b", expected: [["a", "b"]] },
    { name: "trailing whitespace trimmed", text: "a=b  \t ", expected: [["a", "b"]] },
    { name: "inner whitespace kept", text: "a=b  c", expected: [["a", "b  c"]] },
    { name: "# comment", text: "# a=b\nc=d", expected: [["c", "d"]] },
    { name: "! comment", text: "! a=b\nc=d", expected: [["c", "d"]] },
    { name: "indented comment", text: "   # a=b\nc=d", expected: [["c", "d"]] },
    { name: "# inside a value is not a comment", text: "a=b # c", expected: [["a", "b # c"]] },
    { name: "blank and whitespace-only lines", text: "\n  \n\t\na=b\n\n", expected: [["a", "b"]] },
    { name: "CRLF line ends", text: "a=b\r\nc=d\r\n", expected: [["a", "b"], ["c", "d"]] },
    { name: "CR line ends", text: "a=b\rc=d", expected: [["a", "b"], ["c", "d"]] },
    { name: "continuation drops next line's indent", text: "a=one \\\n     two", expected: [["a", "one two"]] },
    { name: "continuation over three lines", text: "a=1,\\\n 2,\\\n 3\nb=4", expected: [["a", "1,2,3"], ["b", "4"]] },
    { name: "continued text is never a comment", text: "a=x\\\n#y", expected: [["a", "x#y"]] },
    { name: "continuation with CRLF", text: "a=x\\\r\n  y\r\nb=z", expected: [["a", "xy"], ["b", "z"]] },
    { name: "blank line ends a continuation", text: "a=x\\\n   \nb=y", expected: [["a", "x"], ["b", "y"]] },
    { name: "even backslashes do not continue", text: "a=x\\\\\nb=y", expected: [["a", "x\\"], ["b", "y"]] },
    { name: "backslash at end of text dropped", text: "a=x\\", expected: [["a", "x"]] },
    { name: "continuation in the key", text: "ti\\\n  ck=1", expected: [["tick", "1"]] },
    { name: "\\t \\n \\r \\f escapes", text: "a=1\\t2\\n3\\r4\\f5", expected: [["a", "1\t2\n3\r4\f5"]] },
    { name: "\\\\ escape", text: "a=C:\\\\data", expected: [["a", "C:\\data"]] },
    { name: "\\uXXXX escape", text: "a=\\u0041\\u00e9\\u20AC", expected: [["a", "Aé€"]] },
    { name: "unknown escape is the character", text: "a=\\q\\#", expected: [["a", "q#"]] },
    { name: "escaped separators in the key", text: "a\\=b\\:c\\ d=e", expected: [["a=b:c d", "e"]] },
    { name: "escaped leading space is trimmed like ZooKeeper", text: "a=\\ b", expected: [["a", "b"]] },
    { name: "escaped trailing tab is trimmed like ZooKeeper", text: "a=b\\t", expected: [["a", "b"]] },
    { name: "duplicates are all kept in entries", text: "a=1\na=2", expected: [["a", "1"], ["a", "2"]] },
    { name: "empty text", text: "", expected: [] },
  ];
  for (const { name, text, expected } of cases) {
    it(name, () => {
      const entries = parsePropertyEntries(text).map((entry): [string, string] => [entry.key, entry.value]);
      assert.deepEqual(entries, expected);
    });
  }

  it("parseProperties keeps the last duplicate, in first-seen order", () => {
    assert.deepEqual([...parseProperties("a=1\nb=2\na=3")], [["a", "3"], ["b", "2"]]);
  });

  it("entries carry the line their logical line starts on", () => {
    const lines = parsePropertyEntries("# c\n\na=1\\\n 2\nb=3").map((entry) => entry.line);
    assert.deepEqual(lines, [3, 5]);
  });

  it("a malformed \\u escape names its line", () => {
    for (const text of ["x=1\na=\\u12", "x=1\na=\\u12G4"]) {
      assert.throws(() => parsePropertyEntries(text), (error: unknown) => {
        assert.ok(error instanceof PropertiesSyntaxError);
        assert.equal(error.line, 2);
        assert.match(error.message, /line 2: malformed \\uXXXX escape/);
        return true;
      });
    }
  });

  it("trims like Java's String.trim, not JS trim", () => {
    assert.equal(trimLikeJava("\u0000\u001f x \u0020"), "x");
    assert.equal(trimLikeJava("\u00a0x\u00a0"), "\u00a0x\u00a0");
  });
});

describe("defaults", () => {
  const embeddedDefaults = (cwd: string): ServerConfig => ({
    tickTimeMs: 2000,
    dataDir: path.join(cwd, "data"),
    dataLogDir: path.join(cwd, "data"),
    clientPort: 2181,
    clientPortAddress: "127.0.0.1",
    maxClientCnxns: 60,
    minSessionTimeoutMs: 4000,
    maxSessionTimeoutMs: 40000,
    snapCount: 100000,
    autopurgeSnapRetainCount: 3,
    autopurgePurgeIntervalHours: 0,
    fourLetterWordWhitelist: new Set(["srvr"]),
    extendedTypesEnabled: false,
    containerCheckIntervalMs: 60000,
    containerMaxPerMinute: 10000,
    superDigest: null,
    juteMaxBufferBytes: 0xfffff,
    globalOutstandingLimit: 1000,
    skipACL: false,
    enforceQuota: false,
    adminServerPort: 8080,
    adminServerAddress: "127.0.0.1",
    adminEnableServer: true,
    initLimit: null,
    syncLimit: null,
    servers: new Map(),
    peerType: "participant",
    unknownKeys: [],
    raw: new Map(),
    warnings: [],
  });

  it("embedded defaults", () => {
    assert.deepEqual(defaultServerConfig(), embeddedDefaults(process.cwd()));
  });

  it("an empty zoo.cfg listens on all interfaces, like ZooKeeper, and resolves dataDir against baseDir", () => {
    const expected = { ...embeddedDefaults(BASE_DIR), clientPortAddress: "0.0.0.0", adminServerAddress: "0.0.0.0" };
    assert.deepEqual(parse(""), expected);
  });

  it("session timeouts follow an overridden tickTime", () => {
    const config = defaultServerConfig({ tickTimeMs: 500 });
    assert.equal(config.minSessionTimeoutMs, 1000);
    assert.equal(config.maxSessionTimeoutMs, 10000);
  });

  it("dataLogDir follows an overridden dataDir; both resolve to absolute paths", () => {
    const config = defaultServerConfig({ dataDir: "rel/dir" });
    assert.equal(config.dataDir, path.resolve("rel/dir"));
    assert.equal(config.dataLogDir, path.resolve("rel/dir"));
    assert.equal(defaultServerConfig({ dataLogDir: "/logs" }).dataLogDir, "/logs");
  });

  it("undefined overrides leave the default", () => {
    assert.equal(defaultServerConfig({ tickTimeMs: undefined, clientPort: undefined }).clientPort, 2181);
  });

  it("overrides are validated", () => {
    assert.throws(() => defaultServerConfig({ clientPort: 70000 }), { name: "ConfigError", message: /clientPort is 70000/ });
    assert.throws(() => defaultServerConfig({ tickTimeMs: 0 }), /tickTime is 0/);
    assert.throws(
      () => defaultServerConfig({ minSessionTimeoutMs: 5000, maxSessionTimeoutMs: 4000 }),
      /minSessionTimeout \(5000 ms\) must not be larger than maxSessionTimeout \(4000 ms\)/,
    );
  });
});

describe("zoo.cfg keys", () => {
  const cases: Array<{ line: string; field: keyof ServerConfig; expected: unknown }> = [
    { line: "tickTime=500", field: "tickTimeMs", expected: 500 },
    { line: "dataDir=/var/lib/zookeeper", field: "dataDir", expected: "/var/lib/zookeeper" },
    { line: "dataDir=data", field: "dataDir", expected: "/srv/herd/data" },
    { line: "dataDir=../zk", field: "dataLogDir", expected: "/srv/zk" },
    { line: "dataLogDir=/fast/log", field: "dataLogDir", expected: "/fast/log" },
    { line: "dataLogDir=log", field: "dataLogDir", expected: "/srv/herd/log" },
    { line: "clientPort=2182", field: "clientPort", expected: 2182 },
    { line: "clientPort=0", field: "clientPort", expected: 0 },
    { line: "clientPort=+2183", field: "clientPort", expected: 2183 },
    { line: "clientPort=02184", field: "clientPort", expected: 2184 },
    { line: "clientPortAddress=10.0.0.5", field: "clientPortAddress", expected: "10.0.0.5" },
    { line: "maxClientCnxns=0", field: "maxClientCnxns", expected: 0 },
    { line: "maxClientCnxns=1000", field: "maxClientCnxns", expected: 1000 },
    { line: "minSessionTimeout=1000", field: "minSessionTimeoutMs", expected: 1000 },
    { line: "minSessionTimeout=-1", field: "minSessionTimeoutMs", expected: 4000 },
    { line: "maxSessionTimeout=60000", field: "maxSessionTimeoutMs", expected: 60000 },
    { line: "maxSessionTimeout=-1", field: "maxSessionTimeoutMs", expected: 40000 },
    { line: "snapCount=5000", field: "snapCount", expected: 5000 },
    { line: "autopurge.snapRetainCount=10", field: "autopurgeSnapRetainCount", expected: 10 },
    { line: "autopurge.purgeInterval=24", field: "autopurgePurgeIntervalHours", expected: 24 },
    { line: "extendedTypesEnabled=true", field: "extendedTypesEnabled", expected: true },
    { line: "extendedTypesEnabled=YES", field: "extendedTypesEnabled", expected: true },
    { line: "znode.container.checkIntervalMs=1000", field: "containerCheckIntervalMs", expected: 1000 },
    { line: "znode.container.maxPerMinute=50", field: "containerMaxPerMinute", expected: 50 },
    { line: "DigestAuthenticationProvider.superDigest=super:abc=", field: "superDigest", expected: "super:abc=" },
    { line: "jute.maxbuffer=4194304", field: "juteMaxBufferBytes", expected: 4194304 },
    { line: "jute.maxbuffer=0x400000", field: "juteMaxBufferBytes", expected: 0x400000 },
    { line: "globalOutstandingLimit=2000", field: "globalOutstandingLimit", expected: 2000 },
    { line: "skipACL=yes", field: "skipACL", expected: true },
    { line: "skipACL=No", field: "skipACL", expected: false },
    { line: "enforceQuota=TRUE", field: "enforceQuota", expected: true },
    { line: "admin.serverPort=9090", field: "adminServerPort", expected: 9090 },
    { line: "admin.serverAddress=127.0.0.2", field: "adminServerAddress", expected: "127.0.0.2" },
    { line: "admin.enableServer=false", field: "adminEnableServer", expected: false },
    { line: "initLimit=10", field: "initLimit", expected: 10 },
    { line: "syncLimit=5", field: "syncLimit", expected: 5 },
    { line: "peerType=observer", field: "peerType", expected: "observer" },
    { line: "peerType=Participant", field: "peerType", expected: "participant" },
    { line: "4lw.commands.whitelist=stat, ruok ,conf", field: "fourLetterWordWhitelist", expected: new Set(["stat", "ruok", "conf", "srvr"]) },
    { line: "4lw.commands.whitelist=*", field: "fourLetterWordWhitelist", expected: "*" },
    { line: "4lw.commands.whitelist=ruok, * ", field: "fourLetterWordWhitelist", expected: "*" },
    { line: "4lw.commands.whitelist=", field: "fourLetterWordWhitelist", expected: new Set(["srvr"]) },
    { line: "4lw.commands.whitelist=ruok,,", field: "fourLetterWordWhitelist", expected: new Set(["ruok", "srvr"]) },
    { line: "4lw.commands.whitelist=ruok\nreadonlymode.enabled=true", field: "fourLetterWordWhitelist", expected: new Set(["ruok", "srvr", "isro"]) },
    { line: "tickTime=100\nminSessionTimeout=300", field: "maxSessionTimeoutMs", expected: 2000 },
  ];
  for (const { line, field, expected } of cases) {
    it(`${JSON.stringify(line)} -> ${field}`, () => {
      const config = parse(line);
      assert.deepEqual(config[field], expected);
      assert.deepEqual(config.unknownKeys, []);
    });
  }

  it("tickTime sets both session-timeout defaults", () => {
    const config = parse("tickTime=3000");
    assert.equal(config.minSessionTimeoutMs, 6000);
    assert.equal(config.maxSessionTimeoutMs, 60000);
  });

  it("the last of duplicate lines wins", () => {
    assert.equal(parse("clientPort=1\nclientPort=2").clientPort, 2);
  });
});

describe("zookeeper.-prefixed system-property spellings", () => {
  const cases: Array<{ line: string; field: keyof ServerConfig; expected: unknown }> = [
    { line: "zookeeper.extendedTypesEnabled=true", field: "extendedTypesEnabled", expected: true },
    { line: "zookeeper.DigestAuthenticationProvider.superDigest=super:x", field: "superDigest", expected: "super:x" },
    { line: "zookeeper.4lw.commands.whitelist=mntr", field: "fourLetterWordWhitelist", expected: new Set(["mntr", "srvr"]) },
    { line: "zookeeper.snapCount=10", field: "snapCount", expected: 10 },
    { line: "zookeeper.skipACL=yes", field: "skipACL", expected: true },
    { line: "zookeeper.enforceQuota=true", field: "enforceQuota", expected: true },
    { line: "zookeeper.globalOutstandingLimit=7", field: "globalOutstandingLimit", expected: 7 },
    { line: "zookeeper.admin.serverPort=9999", field: "adminServerPort", expected: 9999 },
    { line: "zookeeper.admin.enableServer=no", field: "adminEnableServer", expected: false },
    { line: "zookeeper.admin.serverAddress=::1", field: "adminServerAddress", expected: "::1" },
    { line: "zookeeper.jute.maxbuffer=1000", field: "juteMaxBufferBytes", expected: 1000 },
    { line: "zookeeper.znode.container.checkIntervalMs=5", field: "containerCheckIntervalMs", expected: 5 },
    { line: "zookeeper.4lw.commands.whitelist=ruok\nzookeeper.readonlymode.enabled=true", field: "fourLetterWordWhitelist", expected: new Set(["ruok", "srvr", "isro"]) },
    { line: "snapCount=10\nzookeeper.snapCount=20", field: "snapCount", expected: 20 },
    { line: "zookeeper.snapCount=20\nsnapCount=10", field: "snapCount", expected: 10 },
  ];
  for (const { line, field, expected } of cases) {
    it(`${JSON.stringify(line)} -> ${field}`, () => {
      const config = parse(line);
      assert.deepEqual(config[field], expected);
      assert.deepEqual(config.unknownKeys, []);
    });
  }

  it("keys ZooKeeper reads itself are not accepted with the prefix", () => {
    const config = parse("zookeeper.tickTime=1\nzookeeper.clientPort=1");
    assert.equal(config.tickTimeMs, 2000);
    assert.deepEqual(config.unknownKeys, ["zookeeper.tickTime", "zookeeper.clientPort"]);
  });
});

describe("bad values", () => {
  const cases: Array<{ text: string; message: RegExp }> = [
    { text: "tickTime=abc", message: /^line 1: tickTime="abc" is invalid; expected an integer from 1 to 2147483647$/ },
    { text: "tickTime=0", message: /tickTime="0" is invalid; expected an integer from 1/ },
    { text: "tickTime=-5", message: /tickTime="-5" is invalid/ },
    { text: "tickTime=2.5", message: /tickTime="2.5" is invalid/ },
    { text: "tickTime=1e3", message: /tickTime="1e3" is invalid/ },
    { text: "tickTime=3000000000", message: /tickTime="3000000000" is invalid/ },
    { text: "# c\n\nclientPort=-1", message: /^line 3: clientPort="-1" is invalid; expected an integer from 0 to 65535$/ },
    { text: "clientPort=65536", message: /clientPort="65536" is invalid; expected an integer from 0 to 65535/ },
    { text: "clientPort=", message: /clientPort="" is invalid/ },
    { text: "clientPort=0x10", message: /clientPort="0x10" is invalid/ },
    { text: "admin.serverPort=70000", message: /admin.serverPort="70000" is invalid; expected an integer from 0 to 65535/ },
    { text: "zookeeper.admin.serverPort=-2", message: /zookeeper.admin.serverPort="-2" is invalid/ },
    { text: "maxClientCnxns=-1", message: /maxClientCnxns="-1" is invalid; expected an integer from 0/ },
    { text: "minSessionTimeout=-2", message: /minSessionTimeout="-2" is invalid; expected a positive number of milliseconds/ },
    { text: "maxSessionTimeout=0", message: /maxSessionTimeout="0" is invalid/ },
    { text: "minSessionTimeout=5000\nmaxSessionTimeout=4000", message: /minSessionTimeout \(5000 ms\) must not be larger than maxSessionTimeout \(4000 ms\)/ },
    { text: "maxSessionTimeout=3000", message: /minSessionTimeout \(4000 ms\) must not be larger than maxSessionTimeout \(3000 ms\); with tickTime=2000/ },
    { text: "snapCount=lots", message: /snapCount="lots" is invalid/ },
    { text: "autopurge.purgeInterval=1h", message: /autopurge.purgeInterval="1h" is invalid/ },
    { text: "globalOutstandingLimit=0", message: /globalOutstandingLimit="0" is invalid; expected an integer from 1/ },
    { text: "jute.maxbuffer=0", message: /jute.maxbuffer="0" is invalid; expected a positive byte count/ },
    { text: "jute.maxbuffer=010", message: /jute.maxbuffer="010" is invalid/ },
    { text: "jute.maxbuffer=1M", message: /jute.maxbuffer="1M" is invalid/ },
    { text: "znode.container.maxPerMinute=0", message: /znode.container.maxPerMinute="0" is invalid/ },
    { text: "initLimit=0", message: /initLimit="0" is invalid/ },
    { text: "syncLimit=x", message: /syncLimit="x" is invalid/ },
    { text: "skipACL=maybe", message: /skipACL="maybe" is invalid; expected true, false, yes or no/ },
    { text: "zookeeper.extendedTypesEnabled=1", message: /zookeeper.extendedTypesEnabled="1" is invalid; expected true, false, yes or no/ },
    { text: "admin.enableServer=on", message: /admin.enableServer="on" is invalid/ },
    { text: "DigestAuthenticationProvider.superDigest=nocolon", message: /superDigest="nocolon" is invalid; expected user:base64digest/ },
    { text: "zookeeper.DigestAuthenticationProvider.superDigest=:abc", message: /superDigest=":abc" is invalid/ },
    { text: "zookeeper.DigestAuthenticationProvider.superDigest=super:", message: /superDigest="super:" is invalid/ },
    { text: "peerType=leader", message: /peerType="leader" is invalid; expected participant or observer/ },
    { text: "dataDir=", message: /dataDir="" is invalid; expected a directory path/ },
    { text: "clientPortAddress=", message: /clientPortAddress="" is invalid/ },
    { text: "a=\\uZZZZ", message: /^line 1: malformed \\uXXXX escape/ },
    { text: "server.1=host:2888", message: /server.1="host:2888" is invalid; expected host:quorumPort:electionPort/ },
    { text: "server.1=host:2888:3888:observer:extra", message: /server.1=.* is invalid/ },
    { text: "server.1=host:2888:3888:leader", message: /server.1="host:2888:3888:leader" is invalid/ },
    { text: "server.1=host:2888:99999", message: /server.1=.* is invalid; expected .* with ports from 1 to 65535/ },
    { text: "server.1=host:x:3888", message: /server.1="host:x:3888" is invalid/ },
    { text: "server.1=:2888:3888", message: /server.1=":2888:3888" is invalid/ },
    { text: "server.1=host:2888:3888;2181;2182", message: /server.1=.* is invalid/ },
    { text: "server.1=host:2888:3888;a:b:2181", message: /server.1=.* is invalid/ },
    { text: "server.1=host:2888:3888;", message: /server.1="host:2888:3888;" is invalid/ },
    { text: "server.1=[::1:2888:3888", message: /server.1=.* is invalid; .*an IPv6 host is written \[addr\]:port/ },
    { text: "server.1=a:1:2|b:1:2", message: /server.1=.* is invalid; expected a single address/ },
    { text: "server.one=host:2888:3888", message: /server.one: the server id "one" is not a non-negative integer/ },
    { text: "server.-1=host:2888:3888", message: /server.-1: the server id "-1"/ },
  ];
  for (const { text, message } of cases) {
    it(JSON.stringify(text), () => {
      assert.throws(() => parse(text), (error: unknown) => {
        assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
        assert.match(error.message, message);
        return true;
      });
    });
  }
});

describe("server.N lines", () => {
  const cases: Array<{ value: string; expected: unknown }> = [
    { value: "zk1:2888:3888", expected: { host: "zk1", quorumPort: 2888, electionPort: 3888, role: "participant" } },
    { value: "zk1:2888:3888:observer", expected: { host: "zk1", quorumPort: 2888, electionPort: 3888, role: "observer" } },
    { value: "zk1:2888:3888:PARTICIPANT", expected: { host: "zk1", quorumPort: 2888, electionPort: 3888, role: "participant" } },
    { value: "zk1:2888:3888;2181", expected: { host: "zk1", quorumPort: 2888, electionPort: 3888, role: "participant", clientPort: 2181 } },
    {
      value: "10.0.0.1:2888:3888:observer;0.0.0.0:2181",
      expected: { host: "10.0.0.1", quorumPort: 2888, electionPort: 3888, role: "observer", clientHost: "0.0.0.0", clientPort: 2181 },
    },
    { value: "[::1]:2888:3888", expected: { host: "::1", quorumPort: 2888, electionPort: 3888, role: "participant" } },
    {
      value: "[fe80::1]:2888:3888;[::1]:2181",
      expected: { host: "fe80::1", quorumPort: 2888, electionPort: 3888, role: "participant", clientHost: "::1", clientPort: 2181 },
    },
  ];
  for (const { value, expected } of cases) {
    it(value, () => {
      const config = parse(`server.7=${value}`);
      assert.deepEqual(config.servers.get(7), expected);
    });
  }

  it("several servers keyed by id", () => {
    const config = parse("server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2:observer\npeerType=observer");
    assert.deepEqual([...config.servers.keys()], [1, 2, 3]);
    assert.equal(config.servers.get(3)?.role, "observer");
    assert.equal(config.peerType, "observer");
  });
});

describe("unknown and known-but-ignored keys", () => {
  const ignored = [
    "initLimit=10",
    "syncLimit=5",
    "standaloneEnabled=false",
    "reconfigEnabled=true",
    "dynamicConfigFile=/etc/zk/zoo.cfg.dynamic",
    "preAllocSize=65536",
    "zookeeper.preAllocSize=65536",
    "snapSizeLimitInKb=1024",
    "maxCnxns=100",
    "clientPortListenBacklog=50",
    "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider",
    "metricsProvider.httpPort=7000",
    "admin.commandURL=/commands",
    "admin.idleTimeout=30000",
    "secureClientPort=2281",
    "secureClientPortAddress=0.0.0.0",
    "ssl.keyStore.location=/k.jks",
    "zookeeper.ssl.trustStore.location=/t.jks",
    "authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider",
    "quorumListenOnAllIPs=true",
    "electionAlg=3",
    "localSessionsEnabled=true",
    "localSessionsUpgradingEnabled=true",
    "readonlymode.enabled=true",
    "jaasLoginConfig=/jaas.conf",
    "digest.enabled=false",
    "quorum.auth.enableSasl=true",
    "group.1=1:2:3",
    "weight.1=1",
    "server.1=a:2888:3888",
  ];
  it("are not reported, and every value is kept in raw", () => {
    const config = parse(ignored.join("\n"));
    assert.deepEqual(config.unknownKeys, []);
    assert.equal(config.raw.size, ignored.length);
    assert.equal(config.raw.get("reconfigEnabled"), "true");
    assert.equal(config.raw.get("metricsProvider.httpPort"), "7000");
  });

  it("unknown keys are reported once, in file order, and kept in raw", () => {
    const config = parse("fooBar=1\ntickTime=1000\nzookeeper.madeUp=x\nfooBar=2");
    assert.deepEqual(config.unknownKeys, ["fooBar", "zookeeper.madeUp"]);
    assert.equal(config.raw.get("fooBar"), "2");
    assert.equal(config.raw.get("tickTime"), "1000");
  });
});

describe("adjustments ZooKeeper makes instead of failing", () => {
  const cases: Array<{ line: string; field: keyof ServerConfig; expected: number; warning: RegExp }> = [
    { line: "autopurge.snapRetainCount=1", field: "autopurgeSnapRetainCount", expected: 3, warning: /autopurge.snapRetainCount=1 .*using 3/ },
    { line: "autopurge.snapRetainCount=-4", field: "autopurgeSnapRetainCount", expected: 3, warning: /autopurge.snapRetainCount=-4/ },
    { line: "snapCount=1", field: "snapCount", expected: 2, warning: /snapCount=1 .*using 2/ },
    { line: "autopurge.purgeInterval=-1", field: "autopurgePurgeIntervalHours", expected: 0, warning: /autopurge.purgeInterval=-1 .*off/ },
  ];
  for (const { line, field, expected, warning } of cases) {
    it(line, () => {
      const config = parse(line);
      assert.equal(config[field], expected);
      assert.equal(config.warnings.length, 1);
      assert.match(config.warnings[0]!, warning);
    });
  }

  it("the defaults produce no warnings", () => {
    assert.deepEqual(parse("autopurge.snapRetainCount=3").warnings, []);
  });
});

// A copy of the zoo.cfg the Debian/Ubuntu zookeeper package installs as /etc/zookeeper/conf/zoo.cfg (3.8.0-11).
const DEBIAN_ZOO_CFG = `# The number of milliseconds of each tick
tickTime=2000
# The number of ticks that the initial 
# synchronization phase can take
initLimit=10
# The number of ticks that can pass between 
# sending a request and getting an acknowledgement
syncLimit=5
# the directory where the snapshot is stored.
# do not use /tmp for storage, /tmp here is just 
# example sakes.
dataDir=/tmp/zookeeper
# the port at which the clients will connect
clientPort=2181
# the maximum number of client connections.
# increase this if you need to handle more clients
#maxClientCnxns=60
#
# Be sure to read the maintenance section of the 
# administrator guide before turning on autopurge.
#
# https://zookeeper.apache.org/doc/current/zookeeperAdmin.html#sc_maintenance
#
# The number of snapshots to retain in dataDir
#autopurge.snapRetainCount=3
# Purge task interval in hours
# Set to "0" to disable auto purge feature
#autopurge.purgeInterval=1

## Metrics Providers
#
# https://prometheus.io Metrics Exporter
#metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
#metricsProvider.httpHost=0.0.0.0
#metricsProvider.httpPort=7000
#metricsProvider.exportJvmInfo=true
`;

describe("sample zoo.cfg", () => {
  it("Debian's zoo.cfg", () => {
    const config = parse(DEBIAN_ZOO_CFG);
    assert.equal(config.tickTimeMs, 2000);
    assert.equal(config.initLimit, 10);
    assert.equal(config.syncLimit, 5);
    assert.equal(config.dataDir, "/tmp/zookeeper");
    assert.equal(config.dataLogDir, "/tmp/zookeeper");
    assert.equal(config.clientPort, 2181);
    assert.equal(config.clientPortAddress, "0.0.0.0");
    assert.equal(config.maxClientCnxns, 60);
    assert.equal(config.minSessionTimeoutMs, 4000);
    assert.equal(config.maxSessionTimeoutMs, 40000);
    assert.deepEqual(config.unknownKeys, []);
    assert.deepEqual(config.warnings, []);
    assert.deepEqual([...config.raw.keys()], ["tickTime", "initLimit", "syncLimit", "dataDir", "clientPort"]);
  });

  const installed = "/etc/zookeeper/conf/zoo.cfg";
  it("the zoo.cfg installed on this machine parses", { skip: !existsSync(installed) && `${installed} absent` }, () => {
    const config = loadServerConfig(installed);
    assert.ok(config.tickTimeMs > 0);
    assert.ok(path.isAbsolute(config.dataDir));
  });
});

describe("loadServerConfig", () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "herd-config-test-"));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("resolves relative paths against the file's directory", () => {
    const file = path.join(dir, "zoo.cfg");
    writeFileSync(file, "dataDir=data\ndataLogDir=./txnlog\nclientPort=3000\n");
    const config = loadServerConfig(file);
    assert.equal(config.dataDir, path.join(dir, "data"));
    assert.equal(config.dataLogDir, path.join(dir, "txnlog"));
    assert.equal(config.clientPort, 3000);
  });

  it("reads UTF-8", () => {
    const file = path.join(dir, "utf8.cfg");
    writeFileSync(file, "dataDir=/données\n");
    assert.equal(loadServerConfig(file).dataDir, "/données");
  });

  it("errors name the file", () => {
    const file = path.join(dir, "bad.cfg");
    writeFileSync(file, "tickTime=soon\n");
    assert.throws(() => loadServerConfig(file), {
      name: "ConfigError",
      message: `${file}: line 1: tickTime="soon" is invalid; expected an integer from 1 to 2147483647`,
    });
  });

  it("a missing file is a ConfigError", () => {
    const file = path.join(dir, "missing.cfg");
    assert.throws(() => loadServerConfig(file), { name: "ConfigError", message: new RegExp(`cannot read config file ${file}`) });
  });
});
