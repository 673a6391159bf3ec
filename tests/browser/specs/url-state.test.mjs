// Every training control lives in the address: a link sets them, changing one updates the
// address, and a reload (a shared link) brings the same experiment back.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";

test("the controls and the seed round-trip through the address", { timeout: 120_000 }, async () => {
  await withApp("url-state", { webgpu: false }, async (page, url, problems) => {
    const query = "?backend=cpu&step=train&preset=gemma-2-27b&layer=1&positions=last&rank=2&alpha=4&lr=0.005&steps=3&seed=7&objective=sham&batch=2";
    await page.goto(`${url}${query}`);
    await page.getByTestId("step-train").waitFor({ state: "visible" });
    const value = (name) => page.getByTestId(`input-${name}`).inputValue();
    assert.equal(await value("preset"), "gemma-2-27b");
    assert.equal(await value("layer"), "1");
    assert.equal(await value("positions"), "last");
    assert.equal(await value("rank"), "2");
    assert.equal(await value("alpha"), "4");
    assert.equal(await value("lr"), "0.005");
    assert.equal(await value("steps"), "3");
    assert.equal(await value("seed"), "7");
    assert.equal(await value("objective"), "sham");

    // One control at a time, as a person edits them: each change reaches the address (on the
    // next animation frame, which a loaded machine can delay by seconds) before the next.
    const reaches = (pattern) =>
      page.waitForFunction((source) => new RegExp(source).test(location.search), pattern, { timeout: 60_000 });
    await page.getByTestId("input-rank").fill("3");
    await page.getByTestId("input-rank").press("Tab");
    await reaches("rank=3");
    await page.getByTestId("input-seed").fill("11");
    await page.getByTestId("input-seed").press("Tab");
    await reaches("seed=11");
    await page.getByTestId("input-positions").selectOption("mean");
    await reaches("positions=mean");
    assert.match(page.url(), /rank=3/);
    assert.match(page.url(), /seed=11/);
    const shared = page.url();

    await page.goto("about:blank");
    await page.goto(shared);
    await page.getByTestId("step-train").waitFor({ state: "visible" });
    assert.equal(await value("rank"), "3");
    assert.equal(await value("seed"), "11");
    assert.equal(await value("positions"), "mean");
    assert.equal(await value("lr"), "0.005");
    const toml = await page.getByTestId("export-config-text").textContent();
    for (const line of ["seed = 11", 'positions = "mean"', 'objective = "sham"', "steps = 3", "batch_size = 2", 'hook = "layers.1.self_attn.o_proj"', "rank = 3", "alpha = 4.0", "lr = 0.005"]) {
      assert.ok(toml.includes(line), `the exported config lacks \`${line}\`:\n${toml}`);
    }
    // The preset's other values (Gemma-2's dropout) come along.
    assert.ok(toml.includes("dropout = 0.1"), toml);
    assert.deepEqual(problems, []);
  });
});

test("the toy world's controls round-trip through the address", { timeout: 120_000 }, async () => {
  await withApp("url-state-toy", { webgpu: false }, async (page, url, problems) => {
    const query = "?backend=cpu&toy-objective=sham&toy-layer=1&toy-last=true&toy-lr=0.01&toy-steps=8&toy-seed=3&toy-teach=500";
    await page.goto(`${url}${query}`);
    await page.getByTestId("toy-world").waitFor({ state: "visible" });
    const value = (id) => page.getByTestId(id).inputValue();
    assert.equal(await value("toy-objective"), "sham");
    assert.equal(await value("toy-layer"), "1");
    assert.equal(await page.getByTestId("toy-last").isChecked(), true);
    assert.equal(await value("toy-lr"), "0.01");
    assert.equal(await value("toy-steps"), "8");
    assert.equal(await value("toy-seed"), "3");
    assert.equal(await value("toy-teach-steps"), "500");

    await page.getByTestId("toy-steps").fill("5");
    await page.getByTestId("toy-steps").press("Tab");
    await page.getByTestId("toy-objective").selectOption("exposure");
    await page.getByTestId("toy-last").uncheck();
    await page.waitForFunction(() => /toy-steps=5/.test(location.search) && /toy-objective=exposure/.test(location.search) && /toy-last=false/.test(location.search));
    const shared = page.url();

    await page.goto("about:blank");
    await page.goto(shared);
    await page.getByTestId("toy-world").waitFor({ state: "visible" });
    assert.equal(await value("toy-steps"), "5");
    assert.equal(await value("toy-objective"), "exposure");
    assert.equal(await page.getByTestId("toy-last").isChecked(), false);
    assert.equal(await value("toy-seed"), "3");
    assert.deepEqual(problems, []);
  });
});
