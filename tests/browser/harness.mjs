// The browser test harness: serves the built app (dist/) on 127.0.0.1, opens it in Debian's
// headless Chromium through playwright-core, and keeps a screenshot of every failing spec.
// Nothing here downloads a browser: Chromium comes from `scripts/setup.sh`.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { chromium } from "playwright-core";
import { distDir, hubMounts, repo, serveStatic } from "./server.mjs";

export { distDir, hubMounts, repo, serveStatic };

export const artifactsDir = resolve(process.env.SOO_ARTIFACTS ?? join(import.meta.dirname, "artifacts"));
const chromiumPath = process.env.SOO_CHROMIUM ?? "/usr/bin/chromium";

/**
 * Opens Chromium headless with a fresh profile. `webgpu: true` turns on WebGPU, which on a
 * machine without a GPU is SwiftShader's software adapter; `false` leaves WebGPU unavailable,
 * which is how the CPU fallback is tested.
 */
export async function openBrowser({ webgpu }) {
  const profile = mkdtempSync(join(tmpdir(), "soo-chromium-"));
  const args = [
    "--no-sandbox",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
  ];
  if (webgpu) args.push("--enable-unsafe-webgpu");
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    args,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems = [];
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  return {
    page,
    problems,
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * Runs `body(page)` in a fresh browser against the served app; on failure saves a screenshot
 * named after the spec into `artifactsDir` and says where, then rethrows.
 */
export async function withApp(name, { webgpu, mounts = hubMounts }, body) {
  // A fresh server and browser for every spec: no state leaks between them.
  const server = await serveStatic(distDir, mounts);
  const browser = await openBrowser({ webgpu });
  try {
    await body(browser.page, server.url, browser.problems);
  } catch (error) {
    mkdirSync(artifactsDir, { recursive: true });
    const shot = join(artifactsDir, `${name}.png`);
    await browser.page.screenshot({ path: shot, fullPage: true }).catch(() => {});
    console.error(`screenshot of the failure: ${shot}`);
    if (browser.problems.length) console.error(browser.problems.join("\n"));
    throw error;
  } finally {
    await browser.close();
    await server.close();
  }
}

/** The same self-check step run natively by the `soo` CLI (path in SOO_BIN), parsed. */
export function nativeSelfcheck() {
  const bin = process.env.SOO_BIN;
  if (!bin) throw new Error("SOO_BIN must point at the native `soo` binary (scripts/test.sh sets it)");
  return JSON.parse(execFileSync(bin, ["selfcheck", "--backend", "flex", "--json"], { encoding: "utf8" }));
}

/** Largest absolute difference between two equally long arrays of numbers. */
export function maxAbsDiff(a, b) {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  return a.reduce((worst, x, i) => Math.max(worst, Math.abs(x - b[i])), 0);
}

/** Waits for the self-check to finish and returns what the page reported. */
export async function readSelfcheck(page) {
  const finished = page.locator('[data-testid="selfcheck-json"], [data-testid="selfcheck-error"]');
  await finished.first().waitFor({ state: "attached", timeout: 240_000 });
  const error = page.locator('[data-testid="selfcheck-error"]');
  if (await error.count()) throw new Error(`the page reported: ${await error.textContent()}`);
  return JSON.parse(await page.locator('[data-testid="selfcheck-json"]').textContent());
}

/** The toy world's result table `testid` as { condition: [lie, truth, other] } counts. */
export async function toyCounts(page, testid) {
  const table = page.getByTestId(testid);
  await table.waitFor({ timeout: 120_000 });
  const rows = await table.locator("tbody tr").evaluateAll((trs) =>
    trs.map((tr) => [...tr.children].map((c) => c.textContent)),
  );
  return Object.fromEntries(rows.map(([name, ...cells]) => [name, cells.map((c) => parseInt(c, 10))]));
}
