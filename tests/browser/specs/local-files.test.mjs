// A model from files on the user's computer: the file picker takes a folder's files (the tiny
// chat model's config, weights and tokenizer), which load with progress and nothing fetched.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { repo, withApp } from "../harness.mjs";
import { loadModel } from "../story.mjs";

test("a model loads from local files through the picker", { timeout: 240_000 }, async () => {
  await withApp("local-files", { webgpu: false }, async (page, url, problems) => {
    const fetched = [];
    page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(`${url}?backend=cpu&model=local`);
    assert.equal(await page.getByTestId("model-kind").inputValue(), "local");
    const files = [
      ...["config.json", "model.safetensors"].map((f) => join(repo, "core/tests/fixtures/tiny/llama", f)),
      ...["tokenizer.json", "tokenizer_config.json"].map((f) => join(repo, "tests/browser/fixtures/tiny-chat", f)),
    ];
    await page.getByTestId("model-files").setInputFiles(files);
    await page.getByText(/model\.safetensors \(0\.2 MB\)/).waitFor();
    const info = await loadModel(page);
    assert.equal(info.files, 4);
    assert.equal(info.layers, 2);
    assert.equal(info.chat, true);
    assert.match(info.name, /files from this computer/);
    assert.ok(!fetched.some((p) => p.includes("resolve/main")), `nothing is fetched: ${fetched}`);
    assert.deepEqual(problems, []);
  });
});
