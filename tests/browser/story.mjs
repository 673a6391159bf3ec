// Helpers the story specs share: the tiny chat model's address, loading it, reading results.
/** The page with the tiny chat model (served by the harness in the Hub's layout) as its source. */
export function tinyChatUrl(url, extra = "") {
  return `${url}?backend=cpu&hub=${encodeURIComponent(url)}&model=soo-test/tiny-chat${extra}`;
}

/** Clicks Load and waits until the model is ready; returns what the page says about it. */
export async function loadModel(page, timeout = 240_000) {
  const button = page.getByTestId("model-load");
  await button.waitFor();
  await page.waitForFunction(() => !document.querySelector('[data-testid="model-load"]').disabled, null, { timeout });
  await button.click();
  const done = page.locator('[data-testid="model-ready"], [data-testid="model-error"]');
  await done.first().waitFor({ timeout });
  if (await page.getByTestId("model-error").count()) {
    throw new Error(`the page reported: ${await page.getByTestId("model-error").textContent()}`);
  }
  return JSON.parse(await page.getByTestId("model-ready").getAttribute("data-info"));
}

/** Opens story step `slug` by its tab. */
export async function openStep(page, slug) {
  await page.getByTestId(`tab-${slug}`).click();
  await page.getByTestId(`step-${slug}`).waitFor({ state: "visible" });
}

/** Waits for `testid` (or an alert in the page) and returns its data-json, parsed. */
export async function readJson(page, testid, timeout = 240_000) {
  const done = page.locator(`[data-testid="${testid}"], main [role="alert"]`);
  await done.first().waitFor({ timeout });
  const alert = page.locator(`main [role="alert"]`);
  if (await alert.count()) throw new Error(`the page reported: ${await alert.first().textContent()}`);
  return JSON.parse(await page.getByTestId(testid).getAttribute("data-json"));
}
