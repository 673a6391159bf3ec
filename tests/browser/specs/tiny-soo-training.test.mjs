// SOO fine-tuning in the page: the tiny llama fixture, fetched from a local server in the Hub's
// URL layout, trains a LoRA adapter for a few steps with the core's Trainer (the code `soo train`
// runs) on WebGPU and on the CPU fallback; the SOO loss falls on both, the two backends agree,
// and Stop ends a run between steps.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";

const STEPS = 6;
const curves = {};

async function readTraining(page, timeout = 240_000) {
  const done = page.locator('[data-testid="train-json"], [data-testid="train-error"]');
  await done.first().waitFor({ state: "attached", timeout });
  const error = page.getByTestId("train-error");
  if (await error.count()) throw new Error(`the page reported: ${await error.textContent()}`);
  return JSON.parse(await page.getByTestId("train-json").textContent());
}

function modelUrl(url) {
  return encodeURIComponent(`${url}soo-test/tiny-llama/resolve/main/`);
}

for (const backend of ["webgpu", "cpu"]) {
  test(`the tiny llama trains with SOO in the browser and its loss falls (${backend})`, { timeout: 300_000 }, async () => {
    await withApp(`tiny-soo-${backend}`, { webgpu: backend === "webgpu" }, async (page, url, problems) => {
      await page.goto(`${url}?backend=${backend}&model=${modelUrl(url)}&train=${STEPS}&seed=0`);
      const run = await readTraining(page);
      assert.equal(run.backend, backend === "webgpu" ? "wgpu" : "flex");
      assert.equal(run.end, "finished");
      assert.equal(run.points.length, STEPS);
      const losses = run.points.map((p) => p.loss);
      const times = run.points.map((p) => p.step_ms.toFixed(0)).join(", ");
      console.log(`tiny SOO on ${run.backend}: loss ${losses[0].toExponential(3)} → ${losses.at(-1).toExponential(3)}; step ms ${times}`);
      assert.ok(losses.every(Number.isFinite), `non-finite loss: ${losses}`);
      assert.ok(losses.at(-1) < 0.5 * losses[0], `the loss did not fall: ${losses}`);
      await assert.doesNotReject(page.locator("svg.loss-chart polyline").waitFor({ state: "attached" }));
      curves[backend] = losses;
      assert.deepEqual(problems, []);
    });
  });
}

test("WebGPU and the CPU backend train to the same losses", () => {
  assert.ok(curves.webgpu && curves.cpu, "both training specs must have run");
  curves.webgpu.forEach((loss, i) => {
    const relative = Math.abs(loss - curves.cpu[i]) / Math.max(Math.abs(curves.cpu[i]), 1e-6);
    assert.ok(relative < 1e-3, `step ${i + 1}: WebGPU ${loss} vs CPU ${curves.cpu[i]}`);
  });
});

test("Stop ends a training run between steps", { timeout: 300_000 }, async () => {
  await withApp("tiny-soo-stop", { webgpu: false }, async (page, url, problems) => {
    await page.goto(`${url}?backend=cpu&model=${modelUrl(url)}&train=100000&seed=0`);
    await page.getByRole("status").filter({ hasText: /Step [1-9]/ }).waitFor({ timeout: 240_000 });
    await page.getByTestId("train-stop").click();
    const run = await readTraining(page);
    assert.equal(run.end, "stopped");
    assert.ok(run.points.length >= 1 && run.points.length < 100000, `${run.points.length} steps`);
    assert.deepEqual(problems, []);
  });
});
