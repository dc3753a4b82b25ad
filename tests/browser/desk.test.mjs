/* SPDX-License-Identifier: Apache-2.0 */
// The operator desk in headless Chromium (setup: dashboard.test.mjs): find
// the cut-off accounts among 50,000; top up with a payment method and print
// the receipt; refund and adjust with a reason; edit and create accounts;
// confirm a trip and watch it reach done while this test plays the gateway;
// a bill's tier lines and comparison, printed on A5 and A4 (PDFs); the
// account's events, daily use and statement; the language switch; the
// wall's displays; the gateways whose uplink is weak or failing.  Screenshots and PDFs go to $MB_ARTIFACTS.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { URL, ADMIN, OPER, GW, ART, step, failed, api, launch, signInPage, assert } from "./lib.mjs";

const udd = mkdtempSync(join(tmpdir(), "mb-chromium-"));
const ctx = await launch(udd, { width: 1600, height: 1000 });
const page = ctx.pages()[0] || (await ctx.newPage());
const consoleErrors = [];
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));
page.on("response", (r) => { if (r.status() >= 400) consoleErrors.push(r.status() + " " + r.request().method() + " " + r.url()); });

const balance = async (n) => (await api("/api/v1/accounts/" + n)).balance_fen;
const shown = () => page.evaluate(() => Number(document.body.dataset.shown || 0));
async function openAccount(n) {
  await page.goto(URL + "/operator.html?account=" + n);
  await page.waitForSelector(`body[data-account="${n}"]`);
}
// click, then wait for the account page to be drawn again
async function andRedraw(fn) {
  const before = await shown();
  await fn();
  await page.waitForFunction((b) => Number(document.body.dataset.shown || 0) > b, before, { timeout: 20000 });
}
const pdfPages = (file) => (readFileSync(file).toString("latin1").match(/\/Type\s*\/Page[^s]/g) || []).length;

try {
  await step("an operator finds the cut-off accounts among 50,000, worst first, and reads one", async () => {
    await signInPage(page, OPER);
    await page.goto(URL + "/operator.html");
    await page.waitForSelector("body[data-listed]");
    assert.equal(await page.locator("#count").getAttribute("data-total"), "50010");
    await page.locator('#status label:has(input[value="cut"])').click();
    await page.waitForFunction(() => document.body.dataset.listed === "2");
    const want = await api("/api/v1/desk/accounts?status=cut&limit=50");
    assert.equal(await page.locator("#count").getAttribute("data-total"), String(want.total));
    assert.ok(want.total >= 500, "the utility's cut-off accounts: " + want.total);
    const hits = await page.$$eval('[data-k="hit"]', (hs) => hs.map((h) => h.dataset.account));
    assert.deepEqual(hits, want.accounts.map((a) => a.number), "the API's order: the lowest balance first");
    await page.locator('[data-k="hit"]').first().click();
    await page.waitForSelector(`body[data-account="${want.accounts[0].number}"]`);
    assert.equal(await page.locator('[data-k="status"]').innerText(), "欠费断电");
    assert.equal(await page.locator('[data-k="balance"]').getAttribute("data-v"), String(want.accounts[0].balance_fen));
    assert.equal(await page.locator("#do-topup").count(), 0, "an operator token writes nothing");
    await page.screenshot({ path: join(ART, "desk-cut-zh-CN.png") });
  });

  await step("the account page: events, daily use (not the register), statement by day", async () => {
    await openAccount("1100000004");
    assert.equal(await page.locator('#events tr[data-k="event"]').count(), 2, "the meter's tamper and fault");
    const use = await api("/api/v1/stats/consumption?range=30d&meter=000000000004");
    assert.equal(await page.locator('[data-k="usage.total"]').getAttribute("data-v"),
                 String(use.bins.reduce((s, b) => s + b.energy_wh, 0)), "daily use, the API's bins");
    assert.equal(await page.locator("#usage .uplot canvas").count(), 1);
    const st = await api("/api/v1/accounts/1100000004/statement?limit=60");
    assert.equal(await page.locator('#ledger tr[data-k="ledger"]').count(), st.lines.length);
  });

  await step("an admin tops up 12.30 by WeChat Pay: exactly 1230 fen, and a receipt in Chinese", async () => {
    await signInPage(page, ADMIN);
    await openAccount("1100000009");
    const before = await balance("1100000009");
    await page.click("#do-topup");
    await page.fill("#topup-amount", "12.30");
    await page.selectOption("#topup-method", "wechat");
    await andRedraw(() => page.click("#dlg-go"));
    assert.equal(await balance("1100000009"), before + 1230);
    assert.equal(await page.locator('[data-k="balance"]').getAttribute("data-v"), String(before + 1230));
    assert.match(await page.locator("#msg").innerText(), /已充值 ¥12\.30/);
    // the clerk's click opens a tab that inherits this tab's sign-in
    const [r] = await Promise.all([page.waitForEvent("popup"), page.click("#receipt-link")]);
    await r.waitForSelector("body[data-ready]", { state: "attached" });
    const text = await r.locator("#paper").innerText();
    assert.match(text, /充值收据/);
    assert.match(text, /壹拾贰元叁角整/);
    assert.match(text, /微信支付/);
    assert.equal(await r.locator('[data-k="receipt-amount"]').getAttribute("data-v"), "1230");
    await r.screenshot({ path: join(ART, "desk-receipt-a5.png"), fullPage: true });
    await r.pdf({ path: join(ART, "receipt-a5.pdf"), preferCSSPageSize: true, printBackground: true });
    assert.equal(pdfPages(join(ART, "receipt-a5.pdf")), 1, "a receipt is one A5 page");
    await r.close();
  });

  await step("refund and adjustment need a reason and move the balance exactly", async () => {
    const before = await balance("1100000009");
    await page.click("#do-refund");
    await page.fill("#refund-amount", "5");
    await page.click("#dlg-go");
    await page.locator("#dlg .msg.err").waitFor();
    assert.equal(await balance("1100000009"), before, "no reason, no refund");
    await page.fill("#refund-reason", "重复缴费退还");
    await andRedraw(() => page.click("#dlg-go"));
    assert.equal(await balance("1100000009"), before - 500);
    const ledger = await api("/api/v1/accounts/1100000009/ledger");
    const last = ledger.entries[ledger.entries.length - 1];
    assert.deepEqual([last.kind, last.amount_fen, last.reason], ["refund", -500, "重复缴费退还"]);
    assert.match(await page.locator('#ledger tr[data-k="ledger"]').first().innerText(), /退款[\s\S]*重复缴费退还/);
    await page.click("#do-adjust");
    await page.selectOption("#adjust-dir", "debit");
    await page.fill("#adjust-amount", "1.01");
    await page.fill("#adjust-reason", "表计校验电量");
    await andRedraw(() => page.click("#dlg-go"));
    assert.equal(await balance("1100000009"), before - 500 - 101);
  });

  await step("an admin edits an account and creates one with its tariff", async () => {
    await page.click("#do-edit");
    await page.fill("#acc-holder", "陈一一");
    await page.fill("#acc-alarm1", "30");
    await andRedraw(() => page.click("#dlg-go"));
    const acc = await api("/api/v1/accounts/1100000009");
    assert.deepEqual([acc.holder, acc.alarm1_fen], ["陈一一", 3000]);
    await page.click("#new-account");
    await page.fill("#acc-number", "1100000099");
    await page.fill("#acc-holder", "欧阳娜娜");
    await page.fill("#acc-region", "110108");
    await page.selectOption("#acc-tariff", "cn-bj-residential");
    await andRedraw(() => page.click("#dlg-go"));
    const n = await api("/api/v1/accounts/1100000099");
    assert.deepEqual([n.holder, n.region, n.tariff, n.mode], ["欧阳娜娜", "110108", "cn-bj-residential", "prepaid"]);
    assert.match(await page.locator("#summary").innerText(), /欧阳娜娜[\s\S]*海淀区/);
  });

  await step("a trip is confirmed first, then followed live until the gateway reports it done", async () => {
    await openAccount("1100000006");
    const count = async () => (await api("/api/v1/meters/000000000006/commands")).commands.length;
    const n0 = await count();
    await page.click("#do-trip");
    assert.match(await page.locator("#dlg .warn").innerText(), /Zhou Ba[\s\S]*000000000006[\s\S]*断电/);
    await page.click("#dlg-cancel");
    assert.equal(await count(), n0, "cancelled: nothing sent");
    await page.click("#do-trip");
    await page.fill("#cmd-reason", "用户申请停电检修");
    await andRedraw(() => page.click("#dlg-go"));
    const cmd = (await api("/api/v1/meters/000000000006/commands")).commands.at(-1);
    assert.deepEqual([cmd.op, cmd.state], ["trip", "pending"]);
    const state = () => page.locator('#commands tr[data-k="command"]').first().locator('[data-k="cmd-state"]').innerText();
    assert.equal(await state(), "等待下发");
    // the gateway's next sync takes it...
    const post = (body) => api("/api/v1/readings", GW, { method: "POST", body: JSON.stringify(body) });
    const sync = await post({ gateway: "gw-1", readings: [] });
    assert.ok(JSON.stringify(sync).includes(`"id":${cmd.id}`) || JSON.stringify(sync).includes(`"id": ${cmd.id}`), "delivered");
    await page.waitForFunction(() => document.querySelector('#commands [data-k="cmd-state"]')?.textContent === "已下发，等待电表执行", null, { timeout: 20000 });
    // ...and reports the relay open
    await post({ gateway: "gw-1", readings: [], events: [{ id: 100, ts: Math.floor(Date.now() / 1000), meter: "000000000006",
      type: "command_result", data: { command: cmd.id, state: "done", relay: "open" } }] });
    await page.waitForFunction(() => document.querySelector('#commands [data-k="cmd-state"]')?.textContent === "已完成", null, { timeout: 20000 });
    await page.screenshot({ path: join(ART, "desk-trip-done.png") });
  });

  await step("clerk events: change of holder (过户), meter exchange (换表), a refund above the balance", async () => {
    await openAccount("1100000008");
    await page.click("#do-transfer");
    await page.fill("#tr-to", "1100000088");
    await page.fill("#tr-holder", "郑小石");
    await page.click("#dlg-go");
    await page.waitForSelector('body[data-account="1100000088"]', { timeout: 20000 });
    const to = await api("/api/v1/accounts/1100000088");
    const from = await api("/api/v1/accounts/1100000008");
    assert.deepEqual([to.holder, to.meter, from.state, from.meter], ["郑小石", "000000000008", "closed", null]);
    await page.click("#do-exchange");
    await page.fill("#ex-new", "000000000188");
    await andRedraw(() => page.click("#dlg-go"));
    assert.equal((await api("/api/v1/accounts/1100000088")).meter, "000000000188");
    assert.match(await page.locator("#msg").innerText(), /已换表：000000000008 → 000000000188/);
    // the old holder's money: refunded in full, above it only when meant
    await openAccount("1100000008");
    const before = await balance("1100000008");
    await page.click("#do-refund");
    await page.fill("#refund-amount", "1000");
    await page.fill("#refund-reason", "销户退押金");
    await page.click("#dlg-go");
    await page.locator("#refund-over").waitFor();
    assert.match(await page.locator("#dlg .msg").innerText(), /超过当前余额/);
    assert.equal(await balance("1100000008"), before, "refused above the balance");
    await page.check("#refund-over");
    await andRedraw(() => page.click("#dlg-go"));
    assert.equal(await balance("1100000008"), before - 100000);
  });

  await step("a bill's tier lines and comparison; printed on A5 and A4, in Chinese, one page each", async () => {
    await openAccount("1100000001");
    await page.locator('#bills tr[data-k="bill"][data-id="2025-03"]').click();
    await page.locator("#bill-detail").waitFor();
    const lines = await page.$$eval('#bill-detail tr[data-k="bill-line"]', (rs) => rs.map((r) => r.innerText.replace(/\s+/g, " ")));
    assert.deepEqual(lines, ["第1档 240.000 0.4883 117.19", "第2档 160.000 0.5383 86.13", "第3档 100.000 0.7883 78.83"]);
    assert.equal(await page.locator('#bill-detail [data-k="bill-total"]').getAttribute("data-v"), "28215");
    assert.match(await page.locator('#bill-detail [data-k="bill-compare"]').innerText(), /上月[\s\S]*去年同月/);
    for (const size of ["a5", "a4"]) {
      const [b] = await Promise.all([page.waitForEvent("popup"), page.click("#print-" + size)]);
      await b.waitForSelector("body[data-ready]", { state: "attached" });
      const text = await b.locator("#paper").innerText();
      assert.match(text, /电费账单[\s\S]*Zhang San[\s\S]*第1档[\s\S]*¥282\.15/);
      await b.emulateMedia({ media: "print" });
      const fits = await b.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1);
      assert.ok(fits, "nothing runs off the paper's width");
      await b.screenshot({ path: join(ART, `desk-bill-${size}.png`), fullPage: true });
      const pdf = join(ART, `bill-${size}.pdf`);
      await b.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
      assert.equal(pdfPages(pdf), 1, `the bill is one ${size.toUpperCase()} page`);
      await b.close();
    }
  });

  await step("the language is each user's own choice, kept on the server", async () => {
    await page.click("#lang");
    await page.waitForFunction(() => document.documentElement.lang === "en" && document.body.dataset.account);
    assert.equal(await page.locator("#do-topup").innerText(), "Top up");
    assert.equal((await api("/api/v1/me", ADMIN)).lang, "en");
    assert.equal((await api("/api/v1/me", OPER)).lang, "zh-CN", "another user's stays");
    await page.screenshot({ path: join(ART, "desk-account-en.png") });
    await page.click("#lang");
    await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  });

  await step("the wall's displays at the desk: enrol one (token shown once), see it, revoke it", async () => {
    await page.goto(URL + "/operator.html");
    await page.waitForSelector("body[data-listed]"); // its tabs answer clicks from then on
    await page.click('#tabs button[data-tab="displays"]');
    await page.fill("#disp-name", "lobby");
    await page.fill("#disp-layout", "grid=1x1");
    await page.click('#displays button[type="submit"]');
    const token = await page.locator("#disp-token").innerText();
    assert.match(token, /^mbt_\d+_[0-9a-f]{64}$/);
    assert.equal((await api("/api/v1/stats/overview", token)).accounts.total >= 50000, true);
    assert.equal(await page.locator('tr[data-k="display"][data-name="lobby"]').count(), 1);
    page.once("dialog", (d) => d.accept());
    await page.locator('tr[data-k="display"][data-name="lobby"] button').click();
    await page.waitForFunction(() => !document.querySelector('tr[data-k="display"][data-name="lobby"] button'));
    const r = await fetch(URL + "/api/v1/stats/overview", { headers: { Authorization: "Bearer " + token } });
    assert.equal(r.status, 401);
  });

  await step("the desk's gateways: offline, failing and weak uplinks, each with its link", async () => {
    await page.goto(URL + "/operator.html");
    await page.waitForSelector("body[data-listed]"); // its tabs answer clicks from then on
    await page.click('#tabs button[data-tab="gateways"]');
    await page.waitForSelector('#gw-attention tr[data-k="gateway"]');
    const a = await api("/api/v1/stats/gateways?state=attention&limit=1000");
    const rows = page.locator('#gw-attention tr[data-k="gateway"]');
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.gateway)), a.gateways.map((x) => x.name));
    const w = a.gateways.find((x) => x.online && x.uplink.health === "weak");
    const weak = page.locator(`#gw-attention tr[data-gateway="${w.name}"]`);
    assert.equal(await weak.getAttribute("data-health"), "weak");
    assert.match(await weak.innerText(), new RegExp(w.uplink.signal_pct + "%"));
    assert.match(await weak.innerText(), new RegExp(w.uplink.operator));
    assert.equal(await page.locator('#gw-attention tr[data-health="weak"]').count(), a.uplink_weak);
    assert.equal(await page.locator('#gw-attention tr[data-health="failing"]').count(), a.uplink_failing);
    await page.screenshot({ path: join(ART, "desk-gateways.png") });
  });

  await step("no script errors", async () => {
    // expected: the new holder's number looked up before it is created, and
    // the refund above the balance refused before the clerk confirmed it
    // ("Failed to load resource" says no URL: the response listener does)
    const expected = /^404 GET \S*\/accounts\/1100000088$|^409 POST \S*\/accounts\/1100000008\/refunds$|^Failed to load resource/;
    assert.deepEqual(consoleErrors.filter((e) => !/401|403|Unauthorized|Forbidden/.test(e) && !expected.test(e)), []);
  });
} finally {
  await ctx.close();
  rmSync(udd, { recursive: true, force: true });
}
console.log(failed() ? `${failed()} failed` : "all passed");
process.exit(failed() ? 1 : 0);
