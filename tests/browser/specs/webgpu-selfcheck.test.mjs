// With WebGPU on (SwiftShader's software adapter here), the page finds the adapter, trains on it,
// and its step equals the native CPU step.
import assert from "node:assert/strict";
import { test } from "node:test";
import { maxAbsDiff, nativeSelfcheck, readSelfcheck, withApp } from "../harness.mjs";

test("the self-check step runs on WebGPU and equals the native result", { timeout: 300_000 }, async () => {
  const native = nativeSelfcheck();
  await withApp("webgpu-selfcheck", { webgpu: true }, async (page, url, problems) => {
    await page.goto(url);
    const result = await readSelfcheck(page);
    await page.locator('[data-testid="webgpu-adapter"]').waitFor();
    assert.equal(result.backend, "wgpu", `expected WebGPU, the page says: ${result.reason}`);
    assert.equal(await page.getByTestId("backend").textContent(), "wgpu");
    assert.equal(await page.getByTestId("webgpu-missing").count(), 0);

    const tolerance = 1e-5;
    assert.ok(Math.abs(result.report.loss_before - native.report.loss_before) < tolerance);
    assert.ok(Math.abs(result.report.loss_after - native.report.loss_after) < tolerance);
    const diff = maxAbsDiff(result.report.weights_after, native.report.weights_after);
    assert.ok(diff < tolerance, `weights differ from native by ${diff}`);
    console.log(`WebGPU (${await page.getByTestId("adapter-name").textContent()}): set-up ${result.init_ms.toFixed(0)} ms, step ${result.step_ms.toFixed(0)} ms, max |Δw| ${diff.toExponential(2)}`);
    assert.deepEqual(problems, []);
  });
});
