// A tiny random llama saved by transformers (core/tests/fixtures/tiny/llama), fetched by the page
// from a local server in the Hub's URL layout, gives transformers' logits on WebGPU and on the
// CPU fallback.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "node:test";
import { maxAbsDiff, withApp } from "../harness.mjs";

const expected = JSON.parse(
  readFileSync(resolve(import.meta.dirname, "../../../core/tests/fixtures/tiny/llama/expected.json"), "utf8"),
);
// The fixture's first row is unpadded: [seq] ids, logits [batch, seq, vocab] flattened.
const ids = expected.input_ids[0];
const [, seq, vocab] = expected.logits_shape;
const reference = expected.logits.slice(0, seq * vocab);

async function readModelCheck(page) {
  const done = page.locator('[data-testid="model-check-json"], [data-testid="model-check-error"]');
  await done.first().waitFor({ state: "attached", timeout: 240_000 });
  const error = page.getByTestId("model-check-error");
  if (await error.count()) throw new Error(`the page reported: ${await error.textContent()}`);
  return JSON.parse(await page.getByTestId("model-check-json").textContent());
}

for (const backend of ["webgpu", "cpu"]) {
  test(`the tiny llama gives transformers' logits in the browser (${backend})`, { timeout: 300_000 }, async () => {
    await withApp(`tiny-llama-${backend}`, { webgpu: backend === "webgpu" }, async (page, url, problems) => {
      const model = `${url}soo-test/tiny-llama/resolve/main/`;
      await page.goto(`${url}?backend=${backend}&model=${encodeURIComponent(model)}&ids=${ids.join(",")}`);
      const result = await readModelCheck(page);
      assert.equal(result.backend, backend === "webgpu" ? "wgpu" : "flex");
      assert.deepEqual(result.shape, [seq, vocab]);
      const diff = maxAbsDiff(result.logits, reference);
      console.log(`tiny llama on ${result.backend}: max |Δlogit| vs transformers ${diff.toExponential(2)}, load ${result.load_ms.toFixed(0)} ms, forward ${result.forward_ms.toFixed(0)} ms`);
      assert.ok(diff < 1e-4, `logits differ from transformers by ${diff}`);
      assert.deepEqual(problems, []);
    });
  });
}
