/**
 * The web console end to end in headless Chromium (Debian's, driven by playwright-core): open the page, expand the
 * tree, view a node as JSON and hex, edit one (and hit a version conflict), create and delete one, page through a
 * large child list, and see a change made by another client appear live. Screenshots go to
 * dist/test-output/console-e2e/ (their paths are printed as diagnostics).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { createClient } from "../../src/client/index.js";
import { repoRoot, requireTool } from "../helpers/interop-tools.js";
import { startConsoleServer } from "./console-support.js";

const CHROMIUM = "/usr/bin/chromium";
const SCREENSHOT_DIR = path.join(repoRoot, "dist", "test-output", "console-e2e");
/** Every wait in the page is bounded well inside the test's own budget. */
const STEP_TIMEOUT_MS = 10_000;

const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

async function launch(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: requireTool(CHROMIUM),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 800 },
    timeout: STEP_TIMEOUT_MS,
  });
}

const row = (p: string) => `li[data-path="${p}"] > .row`;
const twisty = (p: string) => `${row(p)} > .twisty`;

test("the console in a browser: browse, view, edit, create, delete, live updates", { timeout: 60_000 }, async (t) => {
  // Cleanup in order: the browser, the application's client, then the server.
  const cleanups: (() => Promise<void> | void)[] = [];
  t.after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  const herd = await startConsoleServer();
  cleanups.push(() => herd.server.close());
  const app = createClient(herd.server.connectString);
  cleanups.push(() => app.close());
  await app.whenConnected(STEP_TIMEOUT_MS);
  const seed = app
    .transaction()
    .create("/shop", "")
    .create("/shop/config", JSON.stringify({ service: "checkout", replicas: 3, regions: ["eu", "us"] }))
    .create("/shop/motd", "hello operators")
    .create("/shop/blob", Buffer.from([0xca, 0xfe, 0x00, 0x01, 0x41, 0x42]))
    .create("/shop/orders", "");
  for (let i = 0; i < 120; i++) seed.create(`/shop/orders/order-${String(i).padStart(4, "0")}`, `{"id":${i}}`);
  await seed.commit();

  const userDataDir = mkdtempSync(path.join(os.tmpdir(), "herd-console-chromium-"));
  cleanups.push(() => rmSync(userDataDir, { recursive: true, force: true }));
  const context = await launch(userDataDir);
  cleanups.push(() => context.close());
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(STEP_TIMEOUT_MS);
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  const shot = async (name: string) => {
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await page.screenshot({ path: file });
    t.diagnostic(`screenshot: ${file}`);
  };

  await page.goto(`${herd.adminBase}/console/`);
  await page.locator("#live.on").waitFor(); // the event stream is registered: later changes will show
  await page.locator("#server-state", { hasText: "standalone" }).waitFor();
  await page.locator(row("/shop")).waitFor();

  // Browse: expand /shop, view JSON (pretty-printed by default for JSON data), then hex.
  await page.click(twisty("/shop"));
  await page.locator(row("/shop/config")).waitFor();
  await page.click(row("/shop/config"));
  await page.locator("#node-path", { hasText: "/shop/config" }).waitFor();
  await page.locator("#node-data", { hasText: '"replicas": 3' }).waitFor();
  assert.match(await page.textContent("#node-acl") ?? "", /world\s*anyone\s*cdrwa/);
  await shot("1-json-view");

  await page.click(row("/shop/blob"));
  await page.locator("#node-path", { hasText: "/shop/blob" }).waitFor();
  await page.locator("#data-format button.active", { hasText: "Hex" }).waitFor(); // not UTF-8: hex by default
  await page.locator("#node-data", { hasText: "00000000  ca fe 00 01 41 42" }).waitFor();
  await page.click('#data-format button[data-format="text"]');
  await page.locator("#data-note", { hasText: "Not valid UTF-8" }).waitFor();

  // Edit with the version shown.
  await page.click(row("/shop/motd"));
  await page.locator("#node-data", { hasText: "hello operators" }).waitFor();
  await page.click("#node-edit");
  await page.locator("#edit-version", { hasText: "0" }).waitFor();
  await page.fill("#edit-data", "maintenance at 22:00");
  await page.click("#edit-save");
  await page.locator("#node-data", { hasText: "maintenance at 22:00" }).waitFor();
  assert.equal((await app.getData("/shop/motd")).data.toString(), "maintenance at 22:00");

  // A conflicting edit: another client writes while the operator edits version 1.
  await page.click("#node-edit");
  await page.locator("#edit-version", { hasText: "1" }).waitFor();
  await page.fill("#edit-data", "my late edit");
  await app.setData("/shop/motd", "changed by the app");
  await page.locator("#node-banner", { hasText: "now at version 2" }).waitFor(); // the live update warned already
  await page.click("#edit-save");
  await page.locator("#node-message", { hasText: "Version conflict on /shop/motd: you edited version 1" }).waitFor();
  assert.equal((await app.getData("/shop/motd")).data.toString(), "changed by the app", "nothing was written");
  await shot("2-version-conflict");
  await page.click("#edit-cancel");

  // Create a child of /shop, then delete it.
  await page.click(row("/shop"));
  await page.locator("#node-path", { hasText: /^\/shop$/ }).waitFor();
  await page.click("#node-create-child");
  await page.fill("#create-name", "from-console");
  await page.fill("#create-data", "made in a browser");
  await page.click("#create-submit");
  await page.locator(`${row("/shop/from-console")}.selected`).waitFor();
  await page.locator("#node-data", { hasText: "made in a browser" }).waitFor();
  assert.equal((await app.getData("/shop/from-console")).data.toString(), "made in a browser");
  await page.click("#node-delete");
  await page.locator("#delete-question", { hasText: "Delete /shop/from-console at version 0?" }).waitFor();
  await page.click("#delete-yes");
  await page.locator(row("/shop/from-console")).waitFor({ state: "detached" });
  assert.equal(await app.exists("/shop/from-console"), null);

  // A large child list comes in pages.
  await page.click(twisty("/shop/orders"));
  await page.locator(row("/shop/orders/order-0099")).waitFor();
  assert.equal(await page.locator(row("/shop/orders/order-0100")).count(), 0);
  await page.click('li[data-path="/shop/orders"] li.more button');
  await page.locator(row("/shop/orders/order-0119")).waitFor();
  await page.click(twisty("/shop/orders"));

  // Live: another client's create appears in the tree without a reload.
  await app.create("/shop/from-app", "pushed");
  await page.locator(row("/shop/from-app")).waitFor();
  await shot("3-live-update");

  // Sessions: the application's session with its connection; the ensemble is this standalone server.
  await page.click('#tabs button[data-tab="sessions"]');
  await page.locator(`#sessions-table tr[data-session="0x${app.sessionId.toString(16)}"]`).waitFor();
  await page.locator("#sessions-table .pill.you").waitFor();
  assert.equal(await page.locator("#sessions-table .pill").count(), 1, "the page made one console session, no strays");
  await shot("4-sessions");
  await page.click('#tabs button[data-tab="ensemble"]');
  await page.locator("#ensemble-table td", { hasText: "standalone" }).waitFor();

  assert.deepEqual(pageErrors, [], "no script errors in the page");
});
