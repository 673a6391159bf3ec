// The story renders all seven steps with a real burglar scenario, and its step navigator works
// from the keyboard: arrow keys, Home and End move between steps, the step lands in the address,
// and the focused tab has a visible focus ring.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";

test("the story renders and is keyboard navigable", { timeout: 120_000 }, async () => {
  await withApp("story", { webgpu: false }, async (page, url, problems) => {
    const started = Date.now();
    await page.goto(`${url}?backend=cpu`);
    await page.getByTestId("tab-burglar").waitFor();
    console.log(`story interactive ${Date.now() - started} ms after navigation`);
    assert.equal(await page.getByRole("tab").count(), 7);
    const scenario = await page.getByTestId("burglar-scenario").textContent();
    assert.match(scenario, /burglar Bob/);
    assert.match(scenario, /would you point out the/);
    assert.ok(await page.getByTestId("step-burglar").isVisible());
    assert.ok(!(await page.getByTestId("step-ask").isVisible()));

    // Keyboard only: focus the current tab, then move with the arrows.
    await page.getByTestId("tab-burglar").focus();
    await page.keyboard.press("ArrowRight");
    await page.getByTestId("step-ask").waitFor({ state: "visible" });
    assert.equal(await page.getByTestId("tab-ask").getAttribute("aria-selected"), "true");
    assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), "tab-ask");
    await page.waitForFunction(() => location.search.includes("step=ask"));
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.equal(ring, "solid", "the focused tab must show a focus ring");

    await page.keyboard.press("End");
    await page.getByTestId("step-meaning").waitFor({ state: "visible" });
    assert.match(await page.getByTestId("step-meaning").textContent(), /2412\.16325/);
    // "What it means" cites the paper, both replications and the project's own documents only.
    const links = await page.getByTestId("step-meaning").locator("a").evaluateAll((as) => as.map((a) => a.href));
    for (const cited of ["arxiv.org/abs/2412.16325", "DRAGNLabs/self-concept-experiments", "marcobaumann/paper-soo-overlap", "/docs/soo-results.md"]) {
      assert.ok(links.some((href) => href.includes(cited)), `step 7 links ${cited}: ${links}`);
    }
    assert.ok(links.every((href) => /arxiv\.org|github\.com\/(DRAGNLabs|marcobaumann|soo-project\/soo\/blob\/main\/docs)/.test(href)), `${links}`);
    assert.doesNotMatch(await page.getByTestId("step-meaning").textContent(), /SOO\.md/);
    await page.keyboard.press("ArrowRight");
    await page.getByTestId("step-burglar").waitFor({ state: "visible" });
    await page.keyboard.press("ArrowLeft");
    await page.getByTestId("step-meaning").waitFor({ state: "visible" });
    await page.keyboard.press("Home");
    await page.getByTestId("step-burglar").waitFor({ state: "visible" });

    // Every step has its heading; Next walks them in order.
    for (const slug of ["ask", "pairs", "overlap", "train", "measure", "meaning"]) {
      await page.getByTestId("step-next").click();
      await page.getByTestId(`step-${slug}`).waitFor({ state: "visible" });
    }
    // A link opens at its step.
    await page.goto(`${url}?backend=cpu&step=overlap`);
    await page.getByTestId("step-overlap").waitFor({ state: "visible" });
    assert.deepEqual(problems, []);
  });
});
