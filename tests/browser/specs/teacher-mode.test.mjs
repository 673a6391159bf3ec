// Teacher mode: `hide=lr,steps` hides those controls and shows their values as fixed text;
// `teacher=1` hides every control, the model picker included (`hide=model` hides it alone).
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";

test("teacher mode hides chosen controls, or all of them", { timeout: 120_000 }, async () => {
  await withApp("teacher-mode", { webgpu: false }, async (page, url, problems) => {
    await page.goto(`${url}?backend=cpu&step=train&hide=lr,steps&lr=0.002&steps=5`);
    await page.getByTestId("step-train").waitFor({ state: "visible" });
    assert.equal(await page.getByTestId("input-lr").count(), 0);
    assert.equal(await page.getByTestId("input-steps").count(), 0);
    assert.equal(await page.getByTestId("fixed-lr").textContent(), "learning rate: 0.002");
    assert.equal(await page.getByTestId("fixed-steps").textContent(), "steps: 5");
    assert.ok(await page.getByTestId("input-rank").isVisible());
    assert.ok(await page.getByTestId("input-seed").isVisible());
    assert.ok(await page.getByTestId("model-kind").isVisible(), "the model stays a choice unless hidden");

    await page.goto(`${url}?backend=cpu&step=train&teacher=1&rank=4`);
    await page.getByTestId("step-train").waitFor({ state: "visible" });
    const controls = page.getByTestId("train-controls");
    assert.equal(await controls.locator("input, select").count(), 0);
    assert.equal(await page.getByTestId("fixed-rank").textContent(), "LoRA rank: 4");
    assert.match(await controls.textContent(), /fixed by the link/);
    // The model is fixed too: no picker, its name as text, and it still loads.
    assert.equal(await page.getByTestId("model-kind").count(), 0);
    assert.equal(await page.getByTestId("fixed-model").textContent(), "Model: HuggingFaceTB/SmolLM2-135M-Instruct (the default)");
    assert.ok(await page.getByTestId("model-load").isVisible());
    // The export still carries the fixed values.
    assert.match(await page.getByTestId("export-config-text").textContent(), /rank = 4/);
    assert.deepEqual(problems, []);
  });
});
