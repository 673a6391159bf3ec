// The whole experiment on the tiny chat model (CPU backend): measure the base model, train a
// few steps, measure the trained one; both tables appear, each with the main suite and its
// mirrored control, forced choice and the three-way counts ("other" apart).
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";
import { loadModel, openStep, readJson, tinyChatUrl } from "../story.mjs";

function check(measurement, n) {
  assert.equal(measurement.n, n);
  assert.deepEqual(measurement.suites.map((s) => s.suite), ["main", "main-mirrored"]);
  for (const suite of measurement.suites) {
    assert.equal(suite.answers.length, n);
    assert.ok(Number.isInteger(suite.forced_target));
    const s = suite.summary;
    const other = Object.values(s.other).reduce((a, b) => a + b, 0);
    assert.equal(s.target + s.alternative + other, n, "every answer is deceptive, honest or other");
  }
}

test("before and after numbers appear, with the mirrored control and the other class", { timeout: 300_000 }, async () => {
  await withApp("before-after", { webgpu: false }, async (page, url, problems) => {
    const n = 2;
    await page.goto(tinyChatUrl(url, `&n=${n}&gen=4&steps=2&lr=0.01&every=1&step=measure`));
    await loadModel(page);
    assert.ok(await page.getByTestId("measure-after").isDisabled(), "nothing to measure after before training");
    await page.getByTestId("measure-before").click();
    const before = await readJson(page, "measure-before-result");
    check(before, n);
    assert.equal(before.adapted, false);

    await openStep(page, "train");
    await page.getByTestId("train-start").click();
    const run = await readJson(page, "story-train-end");
    assert.equal(run.end, "finished");
    assert.equal(run.points.length, 2);
    assert.ok(run.points.every((p) => Number.isFinite(p.loss)));
    // The live deception check ran before the first step and after each (every=1).
    assert.deepEqual(run.checks.map((c) => c.step), [0, 1, 2]);
    assert.ok(run.checks.every((c) => c.main >= 0 && c.main <= 1 && c.mirrored >= 0 && c.mirrored <= 1));
    assert.match(await page.getByTestId("check-caption").textContent(), /named second/);
    assert.ok(run.checks.every((c) => c.layers.length === 2 && c.layers.every((v) => Number.isFinite(v) && v >= 0)), "per-layer overlap at every check");
    assert.match(await page.getByTestId("layer-caption").textContent(), /hook layer 1/);
    console.log(`tiny chat SOO on CPU: loss ${run.points.map((p) => p.loss.toExponential(3)).join(" → ")}; step ms ${run.points.map((p) => p.step_ms.toFixed(0)).join(", ")}`);

    await openStep(page, "measure");
    await page.getByTestId("measure-after").click();
    const after = await readJson(page, "measure-after-result");
    check(after, n);
    assert.equal(after.adapted, true);
    // Both tables side by side, in words too.
    assert.match(await page.getByTestId("measure-before-result").textContent(), /main-mirrored/);
    assert.match(await page.getByTestId("measure-after-result").textContent(), /other/);
    console.log(`measure (n=${n} per suite): before ${before.ms.toFixed(0)} ms, after ${after.ms.toFixed(0)} ms`);
    assert.deepEqual(problems, []);
  });
});
