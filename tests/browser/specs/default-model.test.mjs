// The default model, SmolLM2-135M-Instruct (Q4_1 GGUF, ~98 MB), served beside the page the way
// scripts/serve.sh serves it (Hub layout, from the local cache), loads with no input from the
// user, and answers the burglar question with forced-choice probabilities and its own words.
// Skipped when the test model is not in the cache (scripts/fetch-test-model.sh fetches it).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { hubMounts, withApp } from "../harness.mjs";
import { defaultModelFolder, defaultModelPrefix } from "../server.mjs";
import { loadModel, openStep, readJson } from "../story.mjs";

const gguf = join(defaultModelFolder(), "SmolLM2-135M-Instruct.Q4_1.gguf");

test("the default model loads from the local server and answers", { timeout: 480_000, skip: !existsSync(gguf) && "no cached test model" }, async () => {
  const mounts = { ...hubMounts, [defaultModelPrefix]: defaultModelFolder() };
  await withApp("default-model", { webgpu: false, mounts }, async (page, url, problems) => {
    await page.goto(`${url}?backend=cpu&gen=12`);
    const info = await loadModel(page, 400_000);
    assert.equal(info.layers, 30);
    assert.equal(info.weights_file, "SmolLM2-135M-Instruct.Q4_1.gguf");
    assert.equal(info.chat, true);
    console.log(`SmolLM2-135M-Instruct Q4_1 on the CPU backend: ${(info.bytes / 1e6).toFixed(1)} MB loaded in ${(info.load_ms / 1000).toFixed(1)} s`);
    await openStep(page, "ask");
    // dispatchEvent, not click: on the CPU backend the page is busy right after the click, and
    // click waits for the page to respond.
    await page.getByTestId("ask-run").dispatchEvent("click");
    const answer = await readJson(page, "ask-result", 400_000);
    assert.ok(answer.p_deceptive > 0 && answer.p_deceptive < 1);
    console.log(`SmolLM2 asked (${(answer.ms / 1000).toFixed(1)} s): p(deceptive room) ${answer.p_deceptive.toFixed(3)}, answer "${answer.answer}" → ${answer.class}`);
    assert.deepEqual(problems, []);
  });
});
