/* SPDX-License-Identifier: Apache-2.0 */
// The operator desk in headless Chromium (see dashboard.test.mjs for the
// setup): find an account, show its ledger, top it up by exactly 1230 fen
// for "12.30".  Screenshots go to $MB_ARTIFACTS.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { URL, ADMIN, OPER, ART, step, failed, api, launch, signInPage, assert } from "./lib.mjs";

const udd = mkdtempSync(join(tmpdir(), "mb-chromium-"));
const ctx = await launch(udd);
const page = ctx.pages()[0] || (await ctx.newPage());
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));

try {
  await step("operator view: find an account by holder name and show its ledger", async () => {
    await signInPage(page, OPER);
    await page.goto(URL + "/operator.html");
    await page.fill("#q", "zhou");
    await page.click("#search button");
    await page.waitForSelector('body[data-account="1100000006"]');
    const acc = await api("/api/v1/accounts/1100000006");
    const ledger = await api("/api/v1/accounts/1100000006/ledger");
    assert.equal(await page.locator('[data-k="balance"]').getAttribute("data-v"), String(acc.balance_fen));
    const rows = page.locator('tr[data-k="ledger"]');
    assert.equal(await rows.count(), ledger.entries.length);
    await page.screenshot({ path: join(ART, "operator.png") });
  });

  await step("an admin tops up 12.30 yuan from the operator view: exactly 1230 fen", async () => {
    await signInPage(page, ADMIN);
    await page.goto(URL + "/operator.html?account=1100000009");
    await page.waitForSelector('body[data-account="1100000009"]');
    const before = (await api("/api/v1/accounts/1100000009")).balance_fen;
    await page.fill("#topup-amount", "12.30");
    await page.click("#actions button[type=submit]");
    await page.waitForFunction(() => document.querySelector(".msg")?.textContent !== "");
    assert.match(await page.locator(".msg").getAttribute("class"), /ok/, await page.locator(".msg").innerText());
    assert.equal((await api("/api/v1/accounts/1100000009")).balance_fen, before + 1230);
    await page.screenshot({ path: join(ART, "operator-admin.png") });
  });

  await step("no script errors", async () => {
    assert.deepEqual(consoleErrors.filter((e) => !/401|403|Unauthorized|Forbidden/.test(e)), []);
  });
} finally {
  await ctx.close();
  rmSync(udd, { recursive: true, force: true });
}
console.log(failed() ? `${failed()} failed` : "all passed");
process.exit(failed() ? 1 : 0);
