/** The ensemble tour: a real 3-member ensemble, the leader killed, a new one elected, no data lost. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { exampleScript, RoleProcess } from "../../examples/shared/processes.js";
import { assertPrinted } from "./support.js";

const TOUR_MS = 60_000;

test("the ensemble tour elects a new leader after the leader is killed and loses nothing", async (t) => {
  const tour = new RoleProcess("tour", exampleScript("ensemble-tour", "tour"), []);
  t.after(() => tour.stop("SIGTERM"));
  const status = await tour.waitForExit(TOUR_MS);
  assert.equal(status.code, 0, `${tour.lines.join("\n")}\n${tour.stderr}`);

  const [, firstLeader] = assertPrinted(tour, /\[tour\] (server\d) leads\./);
  const [, killed] = assertPrinted(tour, /killing the leader (server\d)/);
  const [, elected] = assertPrinted(tour, /(server\d) was elected leader \d+ ms after the kill/);
  assert.equal(killed, firstLeader);
  assert.notEqual(elected, killed);
  // The srvr listing after the kill shows the new leader.
  assertPrinted(tour, new RegExp(`${elected} \\S+  Mode: leader`));
  assertPrinted(tour, /no data lost/);
  const counts = tour.matches(/(server\d) has (\d+) of (\d+) items/);
  assert.equal(counts.length, 3 + 2 + 3);
  for (const [, member, have, want] of counts) assert.equal(have, want, `${member} has every item`);
  assertPrinted(tour, new RegExp(`${killed} is following`));
  assertPrinted(tour, /tour finished/);
});
