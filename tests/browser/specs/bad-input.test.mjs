// The page under bad input (issue 23): a corrupt file in the picker, a tokenizer of another
// model, an adapter of another model and a crashed worker each give a visible message naming
// the problem, and the page stays usable: the next good model loads and answers. (A model
// address that 404s: model-load.test.mjs; a storage quota hit mid-download:
// model-storage.test.mjs.)
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repo, withApp } from "../harness.mjs";
import { loadModel, openStep, tinyChatUrl } from "../story.mjs";

const tinyLlama = join(repo, "core/tests/fixtures/tiny/llama");
const tinyChat = join(repo, "tests/browser/fixtures/tiny-chat");

/** The tiny chat model's four files, with `replace` (name → bytes) swapped in, in a temp folder. */
function localFiles(dir, replace = {}) {
  const sources = {
    "config.json": join(tinyLlama, "config.json"),
    "model.safetensors": join(tinyLlama, "model.safetensors"),
    "tokenizer.json": join(tinyChat, "tokenizer.json"),
    "tokenizer_config.json": join(tinyChat, "tokenizer_config.json"),
  };
  return Object.entries(sources).map(([name, path]) => {
    if (!(name in replace)) return path;
    const out = join(dir, name);
    writeFileSync(out, replace[name]);
    return out;
  });
}

/** Picks `files` as the local model and clicks Load; returns the message the panel shows. */
async function loadLocal(page, files, testid) {
  await page.getByTestId("model-files").setInputFiles(files);
  await page.waitForFunction(() => !document.querySelector('[data-testid="model-load"]').disabled);
  await page.getByTestId("model-load").click();
  await page.getByTestId(testid).waitFor({ timeout: 120_000 });
  return page.getByTestId(testid).textContent();
}

/** A bad model file is refused with its name and problem; then the good files load. */
async function refusedThenGood(name, replace, words) {
  const dir = mkdtempSync(join(tmpdir(), "soo-bad-input-"));
  try {
    await withApp(name, { webgpu: false }, async (page, url, problems) => {
      await page.goto(`${url}?backend=cpu&model=local`);
      const message = await loadLocal(page, localFiles(dir, replace), "model-error");
      for (const word of words) assert.match(message, word);
      await page.getByTestId("model-files").setInputFiles(localFiles(dir));
      const info = await loadModel(page);
      assert.equal(info.layers, 2);
      assert.deepEqual(problems, []);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a corrupt weights file in the picker is named, and good files load after it", { timeout: 240_000 }, async () => {
  const weights = readFileSync(join(tinyLlama, "model.safetensors"));
  await refusedThenGood("bad-input-corrupt", { "model.safetensors": weights.subarray(0, weights.length >> 1) }, [/model\.safetensors/]);
});

test("a tokenizer of another model is refused on load, naming tokenizer.json", { timeout: 240_000 }, async () => {
  const tokenizer = JSON.parse(readFileSync(join(tinyChat, "tokenizer.json"), "utf8"));
  for (let id = 200; id < 300; id++) tokenizer.model.vocab[`zz${id}`] = id;
  await refusedThenGood("bad-input-tokenizer", { "tokenizer.json": JSON.stringify(tokenizer) }, [/tokenizer\.json/, /another model/]);
});

test("an adapter of another model is refused, and the model keeps working", { timeout: 240_000 }, async () => {
  await withApp("bad-input-adapter", { webgpu: false }, async (page, url, problems) => {
    await page.goto(tinyChatUrl(url, "&n=2&gen=4"));
    await loadModel(page);
    await openStep(page, "train");
    const smollm2 = join(repo, "www/models/smollm2-self-other/adapter");
    await page.getByTestId("adapter-files").setInputFiles(["adapter_config.json", "adapter_model.safetensors"].map((f) => join(smollm2, f)));
    await page.getByTestId("adapter-error").waitFor();
    assert.match(await page.getByTestId("adapter-error").textContent(), /shape|layer|rows|does not fit|model/i);
    assert.equal(await page.getByTestId("adapter-loaded").count(), 0);
    // The model itself is untouched: it still answers.
    await openStep(page, "measure");
    await page.getByTestId("measure-before").click();
    await page.getByTestId("measure-before-result").waitFor({ timeout: 120_000 });
    assert.deepEqual(problems, []);
  });
});

test("a crashed worker is replaced: the page says the model was lost and loads it again", { timeout: 240_000 }, async () => {
  await withApp("bad-input-worker", { webgpu: false }, async (page, url, problems) => {
    const workers = [];
    page.on("worker", (w) => workers.push(w));
    await page.goto(tinyChatUrl(url));
    await loadModel(page);
    assert.equal(workers.length, 1);
    // An uncaught error in the worker, as a trap in its WebAssembly would raise.
    await workers[0].evaluate(() => setTimeout(() => { throw new Error("simulated crash"); }));
    await page.getByTestId("model-lost").waitFor({ timeout: 30_000 }).catch(() => {});
    // The page notices at the latest with the next request: ask the model something.
    if (!(await page.getByTestId("model-lost").count())) {
      await openStep(page, "measure");
      await page.getByTestId("measure-before").click();
      await page.getByTestId("model-lost").waitFor({ timeout: 60_000 });
    }
    assert.match(await page.getByTestId("model-lost").textContent(), /simulated crash.*load it again/);
    // A fresh worker, on the same device, takes the model again.
    const info = await loadModel(page);
    assert.equal(info.layers, 2);
    assert.equal(info.backend, "flex");
    assert.equal(workers.length, 2, "a second worker was started");
    assert.deepEqual(problems.filter((p) => !/simulated crash/.test(p)), []);
  });
});
