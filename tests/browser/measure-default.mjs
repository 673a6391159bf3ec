// `node measure-default.mjs`: times the default model (SmolLM2-135M-Instruct, CPU backend) in the
// page: load, one SOO training step, and a before-measurement of n=2 per suite (not a test).
import { hubMounts, openBrowser, serveStatic, distDir } from "./harness.mjs";
import { defaultModelFolder, defaultModelPrefix } from "./server.mjs";
import { loadModel, openStep, readJson } from "./story.mjs";

const server = await serveStatic(distDir, { ...hubMounts, [defaultModelPrefix]: defaultModelFolder() });
const browser = await openBrowser({ webgpu: false });
const page = browser.page;
try {
  await page.goto(`${server.url}?backend=cpu&n=2&gen=8&steps=2&positions=last`);
  const info = await loadModel(page, 400_000);
  console.log(`load: ${(info.load_ms / 1000).toFixed(1)} s`);
  await openStep(page, "measure");
  await page.getByTestId("measure-before").dispatchEvent("click");
  const before = await readJson(page, "measure-before-result", 900_000);
  for (const s of before.suites) {
    console.log(`${s.suite}: forced deceptive ${s.forced_target}/${s.answers.length}; answers ${JSON.stringify(s.answers.map((a) => a.text))}`);
  }
  console.log(`measure n=2: ${(before.ms / 1000).toFixed(1)} s`);
  await openStep(page, "train");
  await page.getByTestId("train-start").dispatchEvent("click");
  const run = await readJson(page, "story-train-end", 900_000);
  console.log(`train: ${JSON.stringify(run.points)}`);
} finally {
  await browser.close();
  await server.close();
}
