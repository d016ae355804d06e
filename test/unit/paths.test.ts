/**
 * Unit tests of src/tree/paths.ts: every path rule of shared/reference §5 (validatePath on UTF-16 code units),
 * the Java `%010d` sequential suffix including negative values and int overflow, and the parent/name helpers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { joinPath, nodeName, parentPath, pathProblem, PROTECTED_PATHS, sequenceSuffix } from "../../src/tree/paths.js";

const VALID = true;
const INVALID = false;

/** [path, valid?, why] — validation as a normal (non-sequential) path. */
const pathCases: [string, boolean, string][] = [
  ["/", VALID, "root alone"],
  ["/a", VALID, "one segment"],
  ["/a/b/c", VALID, "nested"],
  ["/a.b", VALID, "dot inside a name"],
  ["/.a", VALID, "name starting with a dot"],
  ["/a.", VALID, "name ending with a dot"],
  ["/...", VALID, "three dots is a name"],
  ["/zookeeper", VALID, "system node name"],
  ["/a b", VALID, "space (0x20) allowed"],
  ["/~", VALID, "0x7e allowed"],
  ["/\u00a0", VALID, "0xa0 allowed (just past C1 controls)"],
  ["/\u00e9t\u00e9", VALID, "latin-1 letters"],
  ["/\u4e2d\u6587", VALID, "BMP CJK"],
  ["/\uf900", VALID, "0xf900 (just past private use)"],
  ["/\uffef", VALID, "0xffef (just before specials)"],
  ["", INVALID, "empty"],
  ["a", INVALID, "relative"],
  ["a/b", INVALID, "relative nested"],
  ["/a/", INVALID, "trailing slash"],
  ["//", INVALID, "empty segment at root"],
  ["//a", INVALID, "leading empty segment"],
  ["/a//b", INVALID, "empty segment in the middle"],
  ["/.", INVALID, "dot segment"],
  ["/..", INVALID, "dot-dot segment"],
  ["/a/.", INVALID, "trailing dot segment"],
  ["/a/..", INVALID, "trailing dot-dot segment"],
  ["/./a", INVALID, "leading dot segment"],
  ["/a/../b", INVALID, "middle dot-dot segment"],
  ["/a\u0000b", INVALID, "NUL"],
  ["/\u0001", INVALID, "0x01"],
  ["/a\u001f", INVALID, "0x1f"],
  ["/\t", INVALID, "tab"],
  ["/\u007f", INVALID, "DEL"],
  ["/\u0080", INVALID, "0x80"],
  ["/\u009f", INVALID, "0x9f"],
  ["/\ud800", INVALID, "lone high surrogate"],
  ["/\udfff", INVALID, "lone low surrogate"],
  ["/\ud83d\ude00", INVALID, "emoji (surrogate pair, outside the BMP)"],
  ["/\ue000", INVALID, "private use start"],
  ["/\uf8ff", INVALID, "private use end"],
  ["/\ufff0", INVALID, "0xfff0"],
  ["/\uffff", INVALID, "0xffff"],
  ["/ok/\u0000", INVALID, "NUL in a later segment"],
];

test("pathProblem: every rule of §5 on a normal path", () => {
  for (const [path, valid, why] of pathCases) {
    const problem = pathProblem(path);
    if (valid) assert.equal(problem, null, `${JSON.stringify(path)} (${why}) should be valid, got ${problem}`);
    else assert.equal(typeof problem, "string", `${JSON.stringify(path)} (${why}) should be invalid`);
  }
});

test("pathProblem: the problem text is non-empty for every invalid path", () => {
  for (const [path, valid] of pathCases) if (!valid) assert.ok((pathProblem(path) ?? "").length > 0, JSON.stringify(path));
});

/** Sequential creates validate `path + "1"`, so a trailing "/" is allowed as a prefix. */
const sequentialCases: [string, boolean][] = [
  ["/a/", VALID],
  ["/", VALID],
  ["/a/b-", VALID],
  ["/a", VALID],
  ["/a//", INVALID],
  ["/a/./", INVALID],
  ["/a/..", VALID], // "/a/..1": "..1" is an ordinary name
  ["/a/.", VALID],
  ["", INVALID],
  ["a/", INVALID],
  ["/a\u0000/", INVALID],
];

test("pathProblem: sequential prefix is validated as path + '1'", () => {
  for (const [path, valid] of sequentialCases) {
    const problem = pathProblem(path, true);
    if (valid) assert.equal(problem, null, `${JSON.stringify(path)} should be a valid sequential prefix, got ${problem}`);
    else assert.notEqual(problem, null, `${JSON.stringify(path)} should be an invalid sequential prefix`);
  }
});

test("pathProblem: the sequential flag matters only for a trailing slash", () => {
  assert.notEqual(pathProblem("/a/"), null);
  assert.equal(pathProblem("/a/", true), null);
});

/** [counter, Java String.format("%010d", counter)] */
const suffixCases: [number, string][] = [
  [0, "0000000000"],
  [1, "0000000001"],
  [42, "0000000042"],
  [12345, "0000012345"],
  [999999999, "0999999999"],
  [1000000000, "1000000000"],
  [2147483647, "2147483647"],
  [-1, "-000000001"],
  [-12345678, "-012345678"],
  [-123456789, "-123456789"],
  [-1000000000, "-1000000000"],
  [-2147483648, "-2147483648"],
  // The counter is a Java int: one past MAX_VALUE wraps to MIN_VALUE.
  [2147483648, "-2147483648"],
  [2147483649, "-2147483647"],
  [4294967296, "0000000000"],
];

test("sequenceSuffix: Java %010d of a 32-bit int, sign counted in the width", () => {
  for (const [counter, expected] of suffixCases) {
    assert.equal(sequenceSuffix(counter), expected, `sequenceSuffix(${counter})`);
  }
});

test("sequenceSuffix: non-negative values are always exactly 10 digits and sort like the counter", () => {
  const values = [0, 1, 9, 10, 99, 100, 123456, 2147483646, 2147483647];
  const names = values.map(sequenceSuffix);
  for (const n of names) assert.match(n, /^\d{10}$/);
  assert.deepEqual([...names].sort(), names);
});

const parentCases: [string, string, string][] = [
  // [path, parentPath, nodeName]
  ["/a", "/", "a"],
  ["/a/b", "/a", "b"],
  ["/a/b/c", "/a/b", "c"],
  ["/", "/", ""],
  // "/p//x" has parent "/p/" — which is why create "/p//x" is NoNode, not BadArguments (§4).
  ["/p//x", "/p/", "x"],
  ["/a/", "/a", ""],
  ["/zookeeper/config", "/zookeeper", "config"],
];

test("parentPath and nodeName", () => {
  for (const [path, parent, name] of parentCases) {
    assert.equal(parentPath(path), parent, `parentPath(${path})`);
    assert.equal(nodeName(path), name, `nodeName(${path})`);
  }
});

test("joinPath is the inverse of parentPath/nodeName", () => {
  assert.equal(joinPath("/", "a"), "/a");
  assert.equal(joinPath("/a", "b"), "/a/b");
  for (const path of ["/a", "/a/b", "/a/b/c", "/zookeeper/quota"]) {
    assert.equal(joinPath(parentPath(path), nodeName(path)), path);
  }
});

test("PROTECTED_PATHS are exactly the four built-ins", () => {
  assert.deepEqual([...PROTECTED_PATHS].sort(), ["/", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]);
});
