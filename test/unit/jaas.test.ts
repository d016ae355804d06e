/**
 * The JAAS configuration parser (expected values checked against the JDK's ConfigFile): ZooKeeper's own test fixture, the tokenizer rules the JDK's ConfigFile uses
 * (comments, both quote styles, escapes, case-insensitive flags), and the errors it reports with line numbers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { digestUsers, JaasSyntaxError, parseJaas } from "../../src/auth/jaas.js";

/** zookeeper-server/src/test/resources/embedded/test_jaas_server_auth.conf, as ZooKeeper ships it. */
const zookeeperFixture = `Server {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_foo="bar";
};
Client {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="foo"
       password="bar";
};
QuorumServer {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       user_test="test";
};
QuorumLearner {
       org.apache.zookeeper.server.auth.DigestLoginModule required
       username="test"
       password="test";
};
`;

test("ZooKeeper's JAAS fixture: four sections, one DigestLoginModule each", () => {
  const jaas = parseJaas(zookeeperFixture);
  assert.deepEqual([...jaas.keys()], ["Server", "Client", "QuorumServer", "QuorumLearner"]);
  const client = jaas.get("Client")?.[0];
  assert.equal(client?.loginModule, "org.apache.zookeeper.server.auth.DigestLoginModule");
  assert.equal(client?.flag, "required");
  assert.deepEqual([...(client?.options ?? [])], [["username", "foo"], ["password", "bar"]]);
  assert.deepEqual([...digestUsers(jaas)], [["foo", "bar"]]);
  assert.deepEqual([...digestUsers(jaas, "QuorumServer")], [["test", "test"]]);
  assert.deepEqual([...digestUsers(jaas, "Client")], [], "username/password are not user_ options");
  assert.deepEqual([...digestUsers(jaas, "Missing")], []);
});

test("comments, one-line sections, escapes, several modules, flags in any case", () => {
  const jaas = parseJaas(`
    // the server's users
    /* block comment
       over lines */ Server {
      org.apache.zookeeper.server.auth.DigestLoginModule REQUIRED user_bob="bob's \\"pw\\"" user_alice="x y";
      com.example.Other Sufficient user_carol="tab\\there" debug=true user_octal="\\101\\0612";
    };
    Client { a.B optional; }; / a lone slash comments out the rest of the line
  `);
  const server = jaas.get("Server") ?? [];
  assert.equal(server.length, 2);
  assert.equal(server[0].flag, "required");
  assert.equal(server[1].flag, "sufficient");
  assert.equal(server[1].options.get("debug"), "true");
  assert.deepEqual(Object.fromEntries(digestUsers(jaas)), {
    bob: 'bob\'s "pw"',
    alice: "x y",
    carol: "tab\there",
    octal: "A12",
  });
  assert.deepEqual(jaas.get("Client"), [{ loginModule: "a.B", flag: "optional", options: new Map() }]);
});

test("a user defined twice keeps the last password; an empty section is allowed", () => {
  const jaas = parseJaas(`Server { M required user_a="1" user_a="2"; M required user_a="3"; }; Empty { };`);
  assert.equal(digestUsers(jaas).get("a"), "3");
  assert.deepEqual(jaas.get("Empty"), []);
});

test("a quoted string ends at the end of its line, as in the JDK's tokenizer", () => {
  const jaas = parseJaas(`Server { M required user_a="unterminated\n; };`);
  assert.equal(digestUsers(jaas).get("a"), "unterminated");
});

const errors: { what: string; text: string; line: number; message: RegExp }[] = [
  { what: "bad control flag", text: "Server {\n M mandatory user_a=\"b\";\n};", line: 2, message: /invalid control flag mandatory/ },
  { what: "missing ';' after the section", text: "Server { M required; }", line: 1, message: /expected ';', found end of file/ },
  { what: "missing '=' in an option", text: "Server { M required user_a \"b\"; };", line: 1, message: /expected '=', found "b"/ },
  { what: "an unquoted number", text: "Server { M required user_a=123; };", line: 1, message: /unquoted value starting with '1'/ },
  { what: "a single-quoted value", text: "Server {\n M required user_a='b'; };", line: 2, message: /single-quoted/ },
  { what: "a section twice", text: "Server { };\nServer { };", line: 2, message: /section Server appears twice/ },
  { what: "a missing module flag", text: "Server { M ; };", line: 1, message: /expected control flag, found ';'/ },
  { what: "an unterminated block comment", text: "Server { /* x\n", line: 1, message: /unterminated \/\* comment/ },
  { what: "'#' is not a comment", text: "# comment\nServer { };", line: 1, message: /expected section name, found '#'/ },
  { what: "garbage after the last section", text: "Server { };\n}", line: 2, message: /expected section name, found '}'/ },
];

for (const e of errors) {
  test(`syntax error: ${e.what}`, () => {
    assert.throws(() => parseJaas(e.text), (err: unknown) => {
      assert.ok(err instanceof JaasSyntaxError, String(err));
      assert.equal(err.line, e.line);
      assert.match(err.message, e.message);
      return true;
    });
  });
}

test("an oversized file is refused before tokenizing", () => {
  assert.throws(() => parseJaas(" ".repeat((1 << 20) + 1)), /limit is/);
});
