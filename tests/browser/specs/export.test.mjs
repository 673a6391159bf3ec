// "Export" gives the TOML the command line runs unchanged: the page's config.toml trains with
// `soo train --config` (the native binary, SOO_BIN) and comes back identical in the run's own
// config.toml; experiment.toml has soo run's shape; after training, "download the adapter"
// gives peft's two files.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { repo, withApp } from "../harness.mjs";
import { loadModel, readJson, tinyChatUrl } from "../story.mjs";

/** The tiny chat model as a folder the CLI can read. */
function tinyChatFolder(dir) {
  const folder = join(dir, "tiny-chat");
  execFileSync("mkdir", ["-p", folder]);
  for (const f of ["config.json", "model.safetensors"]) copyFileSync(join(repo, "core/tests/fixtures/tiny/llama", f), join(folder, f));
  for (const f of ["tokenizer.json", "tokenizer_config.json", "generation_config.json"]) copyFileSync(join(repo, "tests/browser/fixtures/tiny-chat", f), join(folder, f));
  return folder;
}

async function download(page, testid) {
  const [file] = await Promise.all([page.waitForEvent("download"), page.getByTestId(testid).click()]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

test("the exported TOML runs unchanged in soo train; the adapter downloads as peft files", { timeout: 300_000 }, async () => {
  const bin = process.env.SOO_BIN;
  assert.ok(bin, "SOO_BIN must point at the native soo binary (scripts/test.sh sets it)");
  const dir = mkdtempSync(join(tmpdir(), "soo-export-"));
  try {
    await withApp("export", { webgpu: false }, async (page, url, problems) => {
      await page.goto(tinyChatUrl(url, "&step=train&layer=1&steps=2&lr=0.01&seed=3&rank=2&alpha=4&positions=last"));
      await page.getByTestId("step-train").waitFor({ state: "visible" });
      const shown = await page.getByTestId("export-config-text").textContent();
      const config = await download(page, "export-config");
      assert.equal(config.name, "config.toml");
      assert.equal(config.bytes.toString("utf8"), shown);
      for (const line of ["seed = 3", 'hook = "layers.1.self_attn.o_proj"', 'positions = "last"', "steps = 2", "rank = 2", "alpha = 4.0", "lr = 0.01", 'objective = "soo-mse"', "[lora]", "[optimizer]"]) {
        assert.ok(shown.includes(line), `config.toml lacks \`${line}\`:\n${shown}`);
      }
      const experiment = await download(page, "export-experiment");
      assert.equal(experiment.name, "experiment.toml");
      const text = experiment.bytes.toString("utf8");
      assert.match(text, /^model = "soo-test\/tiny-chat"$/m);
      assert.match(text, /^seeds = \[3\]$/m);
      assert.match(text, /^\[eval\]$/m);
      assert.match(text, /^suites = "main,main-mirrored"$/m);
      assert.match(text, /^\[train\]$/m);
      assert.match(text, /^\[train\.lora\]$/m);
      assert.match(text, /^hook = "layers\.1\.self_attn\.o_proj"$/m);

      // soo train reads the page's file as it is and saves the same settings.
      const file = join(dir, "config.toml");
      writeFileSync(file, config.bytes);
      const out = join(dir, "run");
      execFileSync(bin, ["train", "--model", tinyChatFolder(dir), "--config", file, "--out", out], { stdio: "pipe" });
      assert.equal(readFileSync(join(out, "config.toml"), "utf8"), shown, "soo train saved different settings");

      // Train in the page, then download the adapter.
      await loadModel(page);
      await page.getByTestId("train-start").click();
      const run = await readJson(page, "story-train-end");
      assert.equal(run.end, "finished");
      const files = [];
      page.on("download", (d) => files.push(d));
      await page.getByTestId("download-adapter").click();
      await page.waitForFunction(() => true);
      for (let i = 0; i < 100 && files.length < 2; i++) await page.waitForTimeout(100);
      assert.deepEqual(files.map((f) => f.suggestedFilename()).sort(), ["adapter_config.json", "adapter_model.safetensors"]);
      const adapterConfig = JSON.parse(readFileSync(await files.find((f) => f.suggestedFilename() === "adapter_config.json").path(), "utf8"));
      assert.equal(adapterConfig.peft_type, "LORA");
      assert.equal(adapterConfig.r, 2);
      assert.equal(adapterConfig.lora_alpha, 4);
      assert.equal(adapterConfig.base_model_name_or_path, "soo-test/tiny-chat");
      const weights = readFileSync(await files.find((f) => f.suggestedFilename() === "adapter_model.safetensors").path());
      assert.ok(weights.length > 1000);
      assert.deepEqual(problems, []);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
