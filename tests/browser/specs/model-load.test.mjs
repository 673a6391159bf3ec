// A model given by Hub id loads from a local server that mimics the Hub's URLs
// (`<hub>/<org>/<name>/resolve/main/<file>`), with progress per file and in total.
import assert from "node:assert/strict";
import { statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repo, withApp } from "../harness.mjs";
import { loadModel, tinyChatUrl } from "../story.mjs";

test("a Hub-layout model loads with progress per file and in total", { timeout: 240_000 }, async () => {
  await withApp("model-load", { webgpu: false }, async (page, url, problems) => {
    // Record every progress state the page shows, however briefly.
    await page.addInitScript(() => {
      window.__progress = [];
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="model-progress"]');
        if (el) window.__progress.push(JSON.parse(el.dataset.rows));
      }).observe(document, { subtree: true, childList: true, attributes: true });
    });
    await page.goto(tinyChatUrl(url));
    const info = await loadModel(page);
    assert.equal(info.layers, 2);
    assert.equal(info.family, "Llama");
    assert.equal(info.chat, true);
    assert.equal(info.backend, "flex");
    const weights = statSync(join(repo, "core/tests/fixtures/tiny/llama/model.safetensors")).size;
    const progress = await page.evaluate(() => window.__progress);
    assert.ok(progress.length >= 2, `progress was shown ${progress.length} times`);
    const last = progress.at(-1);
    const names = last.map((f) => f.name.split(" ")[0]).sort();
    assert.deepEqual(names, ["config.json", "generation_config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json"]);
    const row = last.find((f) => f.name === "model.safetensors");
    assert.equal(row.total, weights);
    assert.equal(row.done, weights);
    assert.ok(last.every((f) => f.finished));
    assert.ok(info.bytes > weights);
    assert.match(await page.getByTestId("model-ready").textContent(), /Ready: soo-test\/tiny-chat/);
    console.log(`tiny chat model: ${info.files} files, ${info.bytes} bytes, loaded in ${info.load_ms.toFixed(0)} ms (${progress.length} progress states)`);

    // A missing repository says so in the page.
    await page.goto(`${url}?backend=cpu&hub=${encodeURIComponent(url)}&model=soo-test/no-such-model`);
    await page.getByTestId("model-load").waitFor();
    await page.waitForFunction(() => !document.querySelector('[data-testid="model-load"]').disabled);
    await page.getByTestId("model-load").click();
    await page.getByTestId("model-error").waitFor();
    assert.match(await page.getByTestId("model-error").textContent(), /404/);
    // The 404 itself is logged by Chromium; nothing else may be.
    assert.deepEqual(problems.filter((p) => !/404/.test(p)), []);
  });
});
