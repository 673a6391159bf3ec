// The story's training on WebGPU (SwiftShader here: slow, so two steps): the tiny chat model
// loads on the GPU backend and trains with a finite loss (every=0: the live deception check,
// on by default with WebGPU, would run 16 forced choices on the software adapter).
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";
import { loadModel, openStep, readJson } from "../story.mjs";

test("the story trains on WebGPU", { timeout: 300_000 }, async () => {
  await withApp("story-webgpu", { webgpu: true }, async (page, url, problems) => {
    await page.goto(`${url}?hub=${encodeURIComponent(url)}&model=soo-test/tiny-chat&steps=2&lr=0.01&positions=last&every=0`);
    const info = await loadModel(page);
    assert.equal(info.backend, "wgpu");
    await openStep(page, "train");
    await page.getByTestId("train-start").click();
    const run = await readJson(page, "story-train-end", 280_000);
    assert.equal(run.backend, "wgpu");
    assert.equal(run.end, "finished");
    assert.equal(run.points.length, 2);
    assert.ok(run.points.every((p) => Number.isFinite(p.loss)));
    console.log(`tiny chat SOO on WebGPU (SwiftShader): load ${info.load_ms.toFixed(0)} ms; loss ${run.points.map((p) => p.loss.toExponential(3)).join(" → ")}; step ms ${run.points.map((p) => p.step_ms.toFixed(0)).join(", ")}`);
    assert.deepEqual(problems, []);
  });
});
