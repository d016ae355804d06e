/** The shell's pure parsing: zkCli's word splitting and quoting, options anywhere, path checks, ACL syntax. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { UsageError, checkPath, parseAcl, parseOptions, splitCommandLine } from "../../src/cli/args.js";
import { parseCliArgs } from "../../src/cli/index.js";
import { javaDateString, permString } from "../../src/cli/format.js";
import { nodeKind } from "../../src/cli/dump.js";

describe("herd cli parsing", () => {
  it("splits words as zkCli does: quotes keep spaces and are removed", () => {
    assert.deepEqual(splitCommandLine("  create /a  'two words'  \"x y\" z "), ["create", "/a", "two words", "x y", "z"]);
    assert.deepEqual(splitCommandLine("set /a ''"), ["set", "/a", ""]);
    assert.deepEqual(splitCommandLine("   "), []);
    assert.deepEqual(splitCommandLine("get 'unterminated"), ["get", "'unterminated"]);
  });

  it("takes options anywhere, values after their letter, and negative numbers as values", () => {
    const spec = { flags: "sw", valued: "v" };
    const p = parseOptions(["/a", "-s", "-v", "3", "-1"], spec);
    assert.deepEqual([p.positional, [...p.flags], p.values.get("v")], [["/a", "-1"], ["s"], "3"]);
    assert.deepEqual(parseOptions(["--", "-s"], spec).positional, ["-s"]);
    assert.throws(() => parseOptions(["-q"], spec), /^UsageError: org\.apache\.commons\.cli\.UnrecognizedOptionException: Unrecognized option: -q$/);
    assert.throws(() => parseOptions(["-v"], spec), /^UsageError: org\.apache\.commons\.cli\.MissingArgumentException: Missing argument for option: v$/);
    // As commons-cli: a valued option does not take one of the command's own options as its value.
    assert.throws(() => parseOptions(["-v", "-s", "/a"], spec), /Missing argument for option: v/);
    assert.equal(parseOptions(["-v", "-x"], spec).values.get("v"), "-x");
  });

  it("allows one option of an exclusive group, as a commons-cli OptionGroup", () => {
    const spec = { flags: "", valued: "nb", exclusive: "nb" };
    assert.equal(parseOptions(["-n", "1", "/q"], spec).values.get("n"), "1");
    assert.throws(() => parseOptions(["-n", "1", "-b", "2", "/q"], spec),
      /^UsageError: org\.apache\.commons\.cli\.AlreadySelectedException: The option 'b' was specified but an option from this group has already been selected: 'n'$/);
  });

  it("checks paths with zkCli's messages", () => {
    checkPath("/");
    checkPath("/a/b.c/..d");
    checkPath("/queue/", true);
    const message = (p: string) => { try { checkPath(p); return "ok"; } catch (e) { assert.ok(e instanceof UsageError); return e.message; } };
    assert.equal(message("a"), "Path must start with / character");
    assert.equal(message("/a/"), "Path must not end with / character");
    assert.equal(message("/a/./b"), 'Invalid path string "/a/./b" caused by relative paths not allowed @3');
    assert.equal(message("/a/.."), 'Invalid path string "/a/.." caused by relative paths not allowed @4');
    assert.equal(message("/a\u0001"), 'Invalid path string "/a\u0001" caused by invalid character @2');
    assert.equal(message(""), "Path length must be > 0");
  });

  it("parses ACLs: the id runs from the first to the last colon; bad entries are warned about", () => {
    const { acl, warnings } = parseAcl("digest:u:abc=:cdrwa,world:anyone:rx,broken");
    assert.deepEqual(acl, [
      { perms: 31, id: { scheme: "digest", id: "u:abc=" } },
      { perms: 1, id: { scheme: "world", id: "anyone" } },
    ]);
    assert.deepEqual(warnings, ["Unknown perm type: x", "broken does not have the form scheme:id:perm"]);
    assert.equal(permString(31), "cdrwa");
    assert.equal(permString(1 | 16), "ra");
  });

  it("reads herd cli's own arguments; the first other word starts the command", () => {
    assert.deepEqual(parseCliArgs(["-server", "h:1", "--json", "ls", "-s", "/"]),
      { server: "h:1", timeoutMs: 30_000, json: true, help: false, command: ["ls", "-s", "/"] });
    assert.equal(parseCliArgs(["--server=h:2"]).server, "h:2");
    assert.throws(() => parseCliArgs(["-timeout", "soon"]), /positive integer/);
  });

  it("formats dates as java.util.Date does, and decodes ZooKeeper's node kinds", () => {
    assert.match(javaDateString(0n), /^Thu Jan 01 \d\d:\d\d:\d\d \S+ 19(69|70)$/);
    assert.deepEqual(nodeKind(0n), { kind: "persistent" });
    assert.deepEqual(nodeKind(0x1234n), { kind: "ephemeral" });
    assert.deepEqual(nodeKind(-(2n ** 63n)), { kind: "container" });
    assert.deepEqual(nodeKind(BigInt.asIntN(64, 0xff00_0000_0000_03e8n)), { kind: "ttl", ttlMs: 1000 });
  });
});
