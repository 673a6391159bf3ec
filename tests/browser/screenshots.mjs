// `node screenshots.mjs [out-folder]`: screenshots of the story's steps (not a test). SmolLM2
// (the default model, from the cache) for the burglar test, asking, the pairs and the overlap map;
// the tiny chat model for training and measuring, which take minutes with SmolLM2 on the CPU.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { hubMounts, openBrowser, serveStatic, distDir } from "./harness.mjs";
import { defaultModelFolder, defaultModelPrefix } from "./server.mjs";
import { loadModel, openStep, readJson, tinyChatUrl } from "./story.mjs";

const out = process.argv[2] ?? "/tmp/story-shots";
mkdirSync(out, { recursive: true });
const server = await serveStatic(distDir, { ...hubMounts, [defaultModelPrefix]: defaultModelFolder() });
const browser = await openBrowser({ webgpu: false });
const page = browser.page;
await page.setViewportSize({ width: 1100, height: 900 });
const shot = async (name) => {
  const path = join(out, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  console.log(path);
};
try {
  await page.goto(`${server.url}?backend=cpu&gen=16`);
  await page.getByTestId("burglar-scenario").waitFor();
  await shot("1-burglar");
  await loadModel(page, 400_000);
  await openStep(page, "pairs");
  await page.getByTestId("pairs-table").waitFor();
  await shot("3-pairs-smollm2");
  await openStep(page, "ask");
  await page.getByTestId("ask-run").dispatchEvent("click");
  await readJson(page, "ask-result", 400_000);
  await shot("2-ask-smollm2");
  await openStep(page, "overlap");
  await page.getByTestId("overlap-probes").fill("4");
  await page.getByTestId("overlap-probes").press("Tab");
  await page.getByTestId("overlap-run").dispatchEvent("click");
  await readJson(page, "overlap-latest", 400_000);
  await shot("4-overlap-smollm2");

  await page.goto(tinyChatUrl(server.url, "&n=4&gen=6&steps=8&lr=0.01&layer=1&every=2"));
  await loadModel(page);
  await openStep(page, "measure");
  await page.getByTestId("measure-before").click();
  await readJson(page, "measure-before-result");
  await openStep(page, "train");
  await page.getByTestId("train-start").click();
  await readJson(page, "story-train-end");
  await shot("5-train-tiny");
  await openStep(page, "measure");
  await page.getByTestId("measure-after").click();
  await readJson(page, "measure-after-result");
  await shot("6-measure-tiny");
  await openStep(page, "meaning");
  await shot("7-meaning");
  if (browser.problems.length) console.log(browser.problems.join("\n"));
} finally {
  await browser.close();
  await server.close();
}
