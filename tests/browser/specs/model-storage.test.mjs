// Downloaded model files are kept in the browser's storage (Cache Storage): the next visit loads
// them without the network, the page lists them and deletes them on request; and when the
// storage quota runs out, the page says so and keeps going with the model in memory.
import assert from "node:assert/strict";
import { test } from "node:test";
import { withApp } from "../harness.mjs";
import { loadModel, tinyChatUrl } from "../story.mjs";

async function storedSummary(page) {
  const details = page.getByTestId("storage");
  if (!(await details.evaluate((d) => d.open))) await details.locator("summary").click();
  await page.getByTestId("storage-summary").waitFor();
  return page.getByTestId("storage-summary").textContent();
}

test("model files are stored in the browser, listed and deleted", { timeout: 240_000 }, async () => {
  await withApp("model-storage", { webgpu: false }, async (page, url, problems) => {
    await page.goto(tinyChatUrl(url));
    await loadModel(page);
    await page.waitForFunction(async () => (await (await caches.open("soo-models-v1")).keys()).length === 5);
    assert.match(await storedSummary(page), /^5 file\(s\)/);
    assert.match(await page.getByTestId("storage-files").textContent(), /soo-test\/tiny-chat\/resolve\/main\/model\.safetensors/);

    // The next visit: nothing from the network, every file from storage.
    const fetched = [];
    page.on("request", (r) => fetched.push(new URL(r.url()).pathname));
    await page.goto(tinyChatUrl(url));
    const rows = [];
    await page.exposeFunction("__row", (r) => rows.push(r));
    await page.getByTestId("model-load").waitFor();
    await page.evaluate(() => new MutationObserver(() => {
      const el = document.querySelector('[data-testid="model-progress"]');
      if (el) window.__row(el.dataset.rows);
    }).observe(document, { subtree: true, childList: true, attributes: true }));
    await loadModel(page);
    assert.ok(!fetched.some((p) => p.includes("/resolve/main/")), `fetched again: ${fetched.filter((p) => p.includes("resolve"))}`);
    assert.match(rows.at(-1), /model\.safetensors \(stored in this browser\)/);

    assert.match(await storedSummary(page), /^5 file\(s\)/);
    await page.getByTestId("storage-delete").click();
    await page.waitForFunction(() => /^0 file/.test(document.querySelector('[data-testid="storage-summary"]')?.textContent ?? ""));
    assert.deepEqual(problems, []);
  });
});

test("when the storage quota runs out the page says so and keeps the model in memory", { timeout: 240_000 }, async () => {
  await withApp("model-storage-quota", { webgpu: false }, async (page, url, problems) => {
    const cdp = await page.context().newCDPSession(page);
    await cdp.send("Storage.overrideQuotaForOrigin", { origin: new URL(url).origin, quotaSize: 20_000 });
    await page.goto(tinyChatUrl(url));
    const info = await loadModel(page);
    assert.equal(info.layers, 2, "the model loads all the same");
    const notice = page.getByTestId("storage-notice");
    await notice.waitFor();
    assert.match(await notice.textContent(), /quota/);
    assert.match(await notice.textContent(), /stays in memory/);
    assert.ok(await notice.isVisible());
    assert.deepEqual(problems, []);
  });
});
