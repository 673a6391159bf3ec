// An adapter trained by the command line (`soo train`, SOO_BIN) loads into the page and is
// measured there: the round trip from the CLI to the browser.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repo, withApp } from "../harness.mjs";
import { loadModel, openStep, readJson, tinyChatUrl } from "../story.mjs";

test("an adapter trained by soo train loads into the page and is measured", { timeout: 240_000 }, async () => {
  const bin = process.env.SOO_BIN;
  assert.ok(bin, "SOO_BIN must point at the native soo binary (scripts/test.sh sets it)");
  const dir = mkdtempSync(join(tmpdir(), "soo-adapter-"));
  try {
    const folder = join(dir, "tiny-chat");
    mkdirSync(folder);
    for (const f of ["config.json", "model.safetensors"]) copyFileSync(join(repo, "core/tests/fixtures/tiny/llama", f), join(folder, f));
    for (const f of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) copyFileSync(join(repo, "tests/browser/fixtures/tiny-chat", f), join(folder, f));
    const out = join(dir, "run");
    execFileSync(bin, ["train", "--model", folder, "--set", "steps=2", "--set", 'hook="layers.1.self_attn.o_proj"', "--set", "lora.rank=2", "--out", out], { stdio: "pipe" });

    await withApp("adapter-import", { webgpu: false }, async (page, url, problems) => {
      await page.goto(tinyChatUrl(url, "&n=2&gen=4"));
      await loadModel(page);
      await openStep(page, "train");
      await page.getByTestId("adapter-files").setInputFiles(["adapter_config.json", "adapter_model.safetensors"].map((f) => join(out, "adapter", f)));
      await page.getByTestId("adapter-loaded").waitFor();
      assert.ok(await page.getByTestId("download-adapter").isEnabled());
      await openStep(page, "measure");
      await page.getByTestId("measure-after").click();
      const after = await readJson(page, "measure-after-result");
      assert.equal(after.adapted, true);
      assert.equal(after.suites.length, 2);
      assert.deepEqual(problems, []);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
