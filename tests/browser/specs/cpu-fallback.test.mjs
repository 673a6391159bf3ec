// Without WebGPU the page says so, falls back to the CPU backend, and gets the native numbers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { maxAbsDiff, nativeSelfcheck, readSelfcheck, withApp } from "../harness.mjs";

test("without WebGPU the page says so and the CPU fallback equals the native result", { timeout: 300_000 }, async () => {
  const native = nativeSelfcheck();
  await withApp("cpu-fallback", { webgpu: false }, async (page, url, problems) => {
    await page.goto(url);
    const notice = page.getByTestId("webgpu-missing");
    await notice.waitFor();
    assert.match(await notice.textContent(), /WebGPU is not available/);
    assert.ok(await notice.isVisible(), "the fallback notice must be visible, not only in the DOM");

    const result = await readSelfcheck(page);
    assert.equal(result.backend, "flex");
    assert.match(result.reason, /CPU/);
    assert.equal(await page.getByTestId("backend").textContent(), "flex");

    const tolerance = 1e-5;
    assert.ok(Math.abs(result.report.loss_before - native.report.loss_before) < tolerance);
    assert.ok(Math.abs(result.report.loss_after - native.report.loss_after) < tolerance);
    const diff = maxAbsDiff(result.report.weights_after, native.report.weights_after);
    assert.ok(diff < tolerance, `weights differ from native by ${diff}`);
    console.log(`CPU fallback in wasm: step ${result.step_ms.toFixed(1)} ms, max |Δw| ${diff.toExponential(2)}`);
    assert.deepEqual(problems, []);
  });
});
