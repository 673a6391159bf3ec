// Stop ends the story's training run between steps, and what was trained so far stays usable.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";
import { loadModel, openStep, readJson, tinyChatUrl } from "../story.mjs";

test("Stop ends a story training run at any moment", { timeout: 240_000 }, async () => {
  await withApp("story-stop", { webgpu: false }, async (page, url, problems) => {
    await page.goto(tinyChatUrl(url, "&steps=100000&positions=last"));
    await loadModel(page);
    await openStep(page, "train");
    await page.getByTestId("train-start").click();
    await page.getByTestId("story-train-status").filter({ hasText: /Step [1-9]/ }).waitFor({ timeout: 200_000 });
    await page.getByTestId("story-train-stop").click();
    const run = await readJson(page, "story-train-end");
    assert.equal(run.end, "stopped");
    assert.ok(run.points.length >= 1 && run.points.length < 100000, `${run.points.length} steps`);
    assert.ok(await page.getByTestId("download-adapter").isEnabled(), "the adapter trained so far can be downloaded");
    assert.deepEqual(problems, []);
  });
});
