// The model works in a Web Worker: while the default model (SmolLM2-135M on the CPU backend,
// many seconds per SOO step) trains, the page's main thread runs no task longer than a second,
// and Stop ends the run before the step after the one that is running. On the main thread,
// every step would be one long task of the whole step's length.
// Skipped when the test model is not in the cache (scripts/fetch-test-model.sh fetches it).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { hubMounts, withApp } from "../harness.mjs";
import { defaultModelFolder, defaultModelPrefix } from "../server.mjs";
import { loadModel, openStep, readJson } from "../story.mjs";

const gguf = join(defaultModelFolder(), "SmolLM2-135M-Instruct.Q4_1.gguf");

test("training runs off the main thread, and Stop ends it at the next step", { timeout: 600_000, skip: !existsSync(gguf) && "no cached test model" }, async () => {
  const mounts = { ...hubMounts, [defaultModelPrefix]: defaultModelFolder() };
  await withApp("worker", { webgpu: false, mounts }, async (page, url, problems) => {
    await page.goto(`${url}?backend=cpu&steps=50&every=0`);
    await loadModel(page, 400_000);
    await openStep(page, "train");
    await page.evaluate(() => {
      window.longTasks = [];
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) window.longTasks.push(Math.round(entry.duration));
      }).observe({ type: "longtask" });
    });
    await page.getByTestId("train-start").dispatchEvent("click");
    const status = page.getByTestId("story-train-status");
    const assertResponsive = async () => {
      const longTasks = await page.evaluate(() => window.longTasks);
      assert.ok(longTasks.every((ms) => ms < 1000), `the main thread was blocked for ${Math.max(...longTasks)} ms`);
      return longTasks;
    };
    await status.filter({ hasText: /Step [2-9] of 50/ }).waitFor({ timeout: 300_000 });
    await assertResponsive();
    // A click waits for the page to answer: on a frozen page this times out.
    await page.getByTestId("story-train-stop").click({ timeout: 2_000 });
    const stoppedAt = Number((await status.textContent()).match(/Step (\d+)/)[1]);
    const run = await readJson(page, "story-train-end", 120_000);
    assert.equal(run.end, "stopped");
    assert.ok(run.points.length <= stoppedAt + 1, `Stop after step ${stoppedAt}, the run ended after step ${run.points.length}`);
    const longTasks = await assertResponsive();
    const stepMs = run.points.map((p) => Math.round(p.step_ms));
    console.log(`SOO steps of ${stepMs.join(", ")} ms; main-thread long tasks meanwhile: ${JSON.stringify(longTasks)} ms`);
    assert.deepEqual(problems, []);
  });
});
