/* SPDX-License-Identifier: Apache-2.0 */
// The dashboard in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; no browser is ever downloaded), against a server that
// tests/integration/dashboard_browser.sh filled with the scenario of
// dashboard_lib.sh.  Checks the sign-in gate, that the wall shows exactly
// the API's figures, updates itself without a reload, splits over panels
// without overflowing a 1920x1080 screen, and that the operator view finds
// an account and shows its ledger.  Screenshots go to $MB_ARTIFACTS.
//
// Environment: MB_URL, MB_ADMIN, MB_OPER, MB_GW (a gateway token),
// MB_ARTIFACTS (directory for the PNGs).
import assert from "node:assert/strict";
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const URL = process.env.MB_URL, ADMIN = process.env.MB_ADMIN, OPER = process.env.MB_OPER;
const GW = process.env.MB_GW, ART = process.env.MB_ARTIFACTS || "artifacts";
mkdirSync(ART, { recursive: true });
let failures = 0;
async function step(name, fn) {
  try {
    await fn();
    console.log("ok - " + name);
  } catch (e) {
    failures++;
    console.log("not ok - " + name + "\n  " + String(e && e.stack || e).split("\n").join("\n  "));
  }
}

async function api(path, token = OPER, opts = {}) {
  const r = await fetch(URL + path, Object.assign({ headers: { Authorization: "Bearer " + token,
    "Content-Type": "application/json" } }, opts));
  if (!r.ok) throw new Error(path + ": HTTP " + r.status + " " + (await r.text()));
  return r.json();
}

// The wall's formats, worked out independently with BigInt.
function scaled(v, places) {
  const b = BigInt(v), neg = b < 0n, a = neg ? -b : b, p = 10n ** BigInt(places);
  const int = (a / p).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return (neg ? "-" : "") + int + (places ? "." + (a % p).toString().padStart(places, "0") : "");
}
const yuan = (fen) => scaled(fen, 2);
const kwh = (wh) => scaled(BigInt(wh) / 1000n, 0);

const udd = mkdtempSync(join(tmpdir(), "mb-chromium-"));
const ctx = await chromium.launchPersistentContext(udd, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  viewport: { width: 1920, height: 1080 },
  deviceScaleFactor: 1,
});
const page = ctx.pages()[0] || (await ctx.newPage());
const requested = [];
const consoleErrors = [];
page.on("request", (r) => requested.push(r.url()));
page.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
page.on("pageerror", (e) => consoleErrors.push(String(e)));

const v = (k) => page.locator(`[data-k="${k}"]`).first().getAttribute("data-v");
const text = (k) => page.locator(`[data-k="${k}"] .v`).first().innerText();
async function noOverflow(label) {
  const o = await page.evaluate(() => {
    const d = document.documentElement;
    const cards = [...document.querySelectorAll(".card")].filter((c) => c.scrollHeight > c.clientHeight + 1 ||
      c.scrollWidth > c.clientWidth + 1).map((c) => c.id);
    return { sh: d.scrollHeight, sw: d.scrollWidth, h: innerHeight, w: innerWidth, cards };
  });
  assert.ok(o.sh <= o.h && o.sw <= o.w, label + ": page scrolls " + JSON.stringify(o));
  assert.deepEqual(o.cards, [], label + ": cards overflow");
}

try {
  await step("without a session the wall URL answers 401 with the sign-in page and no data", async () => {
    const r = await page.goto(URL + "/wall.html?panel=1&of=1&refresh=5");
    assert.equal(r.status(), 401);
    await page.locator("#signin").waitFor();
    assert.equal(await page.locator("#grid").count(), 0);
    for (const p of ["/wall.js", "/common.js", "/vendor/uplot/uPlot.iife.min.js"]) {
      const s = await page.evaluate(async (u) => (await fetch(u)).status, p);
      assert.equal(s, 401, p);
    }
    const s = await page.evaluate(async () => (await fetch("/api/v1/stats/overview")).status);
    assert.equal(s, 401, "the API without a token");
  });

  await step("a wrong token and a gateway token are refused at sign-in", async () => {
    await page.fill("#token", "mbt_1_" + "0".repeat(64));
    await page.click("#submit");
    await page.locator("#error").filter({ hasText: /./ }).waitFor();
    await page.fill("#token", GW);
    await page.click("#submit");
    await page.locator("#error", { hasText: "operator or admin" }).waitFor();
    assert.equal(await page.locator("#grid").count(), 0);
  });

  await step("an operator token signs in and the same URL becomes the wall", async () => {
    await page.fill("#token", OPER);
    await Promise.all([page.waitForURL(/wall\.html\?panel=1&of=1&refresh=5$/), page.click("#submit")]);
    await page.waitForSelector("body[data-loaded]");
    const cookies = await ctx.cookies();
    const c = cookies.find((x) => x.name === "mb_session");
    assert.ok(c && c.httpOnly && c.sameSite === "Strict", "HttpOnly SameSite=Strict cookie");
    assert.ok(!cookies.some((x) => x.value.includes(OPER)), "the token is not a cookie");
    assert.equal(await page.evaluate(() => localStorage.length), 0, "nothing in localStorage");
  });

  const o = await api("/api/v1/stats/overview");
  await step("the wall's counts equal the API's (gateways, meters, accounts by state)", async () => {
    const want = {
      "gateways.online": o.gateways.online, "gateways.offline": o.gateways.offline,
      "meters.ok": o.meters.ok, "meters.faulty": o.meters.faulty,
      "accounts.normal": o.accounts.normal, "accounts.alarm1": o.accounts.alarm1,
      "accounts.alarm2": o.accounts.alarm2, "accounts.cut": o.accounts.cut,
      "accounts.protected": o.accounts.protected,
    };
    for (const [k, n] of Object.entries(want)) {
      assert.equal(await v(k), String(n), k);
      assert.equal(await text(k), String(n), k + " text");
    }
    assert.deepEqual([o.gateways.online, o.gateways.offline, o.meters.ok, o.meters.faulty], [3, 1, 8, 2]);
    assert.deepEqual([o.accounts.normal, o.accounts.alarm1, o.accounts.alarm2, o.accounts.cut, o.accounts.protected],
                     [6, 1, 1, 1, 1]);
  });

  await step("energy, revenue and top-ups equal the API's, formatted from integers", async () => {
    for (const [k, n, f] of [["energy.today", o.energy_wh.today, kwh], ["energy.month", o.energy_wh.month, kwh],
                             ["revenue.today", o.revenue_fen.today, yuan], ["revenue.month", o.revenue_fen.month, yuan],
                             ["topups.today_fen", o.topups.today_fen, yuan]]) {
      assert.equal(await v(k), String(n), k);
      assert.equal((await text(k)).replace(/\s*(kWh|¥)$/, ""), f(n), k + " text");
    }
    assert.equal(await text("revenue.today"), "362.72¥".replace("¥", "") + "¥");
    assert.equal(await page.locator('[data-k="topups.today_fen"]').getAttribute("data-count"), String(o.topups.today_count));
  });

  await step("region tiles are coloured by the API's health", async () => {
    const r = await api("/api/v1/stats/regions");
    for (const x of r.regions) {
      const tile = page.locator(`[data-k="region"][data-region="${x.region}"]`);
      assert.equal(await tile.getAttribute("data-health"), x.health, x.region);
      const bg = await tile.evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.equal(bg, { ok: "rgb(47, 191, 113)", warn: "rgb(245, 184, 61)", bad: "rgb(255, 93, 93)" }[x.health]);
    }
  });

  await step("charts (uPlot), month-end, events and anomalies equal the API's", async () => {
    assert.equal(await page.locator(".uplot canvas").count(), 2, "two uPlot charts");
    for (const range of ["24h", "30d"]) {
      const c = await api("/api/v1/stats/consumption?range=" + range);
      const id = range === "24h" ? "c24" : "c30";
      assert.equal(await v(id + ".total"), String(c.bins.reduce((s, b) => s + b.energy_wh, 0)), id);
    }
    const me = await api("/api/v1/stats/month-end");
    assert.equal(await v("monthend.total"), me.received + "/" + me.expected);
    const ev = await api("/api/v1/events?limit=30&type=trip,close,tamper,meter_fault,relay_fault,alarm1,alarm2");
    const first = page.locator('[data-k="event"]').first();
    assert.equal(await first.getAttribute("data-type"), ev.events[0].type);
    assert.ok((await page.locator('[data-k="event"]').count()) >= 5);
    const an = await api("/api/v1/stats/anomalies");
    assert.equal(await v("anomalies.count"), String(an.count));
    assert.equal(await page.locator('[data-k="anomaly"]').count(), an.anomalies.length);
  });

  await step("the wall fits 1920x1080 without scrolling; screenshot", async () => {
    await noOverflow("wall");
    await page.screenshot({ path: join(ART, "wall.png") });
  });

  await step("the wall updates itself without a reload when a top-up arrives", async () => {
    const navs = [];
    page.on("framenavigated", (f) => { if (f === page.mainFrame()) navs.push(f.url()); });
    const before = Number(await page.locator('[data-k="topups.today_fen"]').getAttribute("data-count"));
    await api("/api/v1/accounts/1100000005/topups", ADMIN, { method: "POST",
      body: JSON.stringify({ amount_fen: 1000, reference: "WALL-LIVE-1" }) });
    await page.waitForFunction((n) => {
      const e = document.querySelector('[data-k="topups.today_fen"]');
      return e && Number(e.getAttribute("data-count")) === n;
    }, before + 1, { timeout: 20000 });
    assert.deepEqual(navs, [], "no navigation");
    // account 5 had -4.88: 10.00 makes it 5.12, above alarm 2, so it leaves "cut"
    await page.waitForFunction(() => document.querySelector('[data-k="accounts.cut"]').getAttribute("data-v") === "0",
                               null, { timeout: 20000 });
  });

  await step("split over two panels: each part fits; screenshots", async () => {
    for (const p of [1, 2]) {
      await page.goto(URL + `/wall.html?panel=${p}&of=2`);
      await page.waitForSelector("body[data-loaded]");
      const ids = await page.$$eval(".card", (cs) => cs.map((c) => c.id));
      assert.deepEqual(ids, p === 1 ? ["w-fleet", "w-accounts", "w-money", "w-regions"]
                                    : ["w-c24", "w-c30", "w-monthend", "w-events", "w-anomalies"]);
      await noOverflow("panel " + p);
      await page.screenshot({ path: join(ART, `wall-panel${p}of2.png`) });
    }
  });

  await step("operator view: find an account by holder name and show its ledger", async () => {
    await page.goto(URL + "/operator.html");
    await page.fill("#q", "zhou");
    await page.click("#search button");
    await page.waitForSelector('body[data-account="1100000006"]');
    const acc = await api("/api/v1/accounts/1100000006");
    const ledger = await api("/api/v1/accounts/1100000006/ledger");
    assert.equal(await page.locator('[data-k="balance"]').getAttribute("data-v"), String(acc.balance_fen));
    assert.equal(await page.locator('[data-k="status"]').innerText(), "normal");
    const rows = page.locator('tr[data-k="ledger"]');
    assert.equal(await rows.count(), ledger.entries.length);
    assert.equal(await rows.first().getAttribute("data-id"), String(ledger.entries[ledger.entries.length - 1].id));
    assert.equal(await page.locator("text=Actions (admin)").count(), 0, "no actions for an operator");
    assert.equal(await page.locator(".uplot canvas").count(), 1, "readings chart");
  });

  await step("operator view: search by meter address and by gateway", async () => {
    await page.fill("#q", "000000000001");
    await page.click("#search button");
    await page.waitForSelector('body[data-account="1100000001"]');
    assert.equal(await page.locator('[data-k="balance"]').getAttribute("data-v"),
                 String((await api("/api/v1/accounts/1100000001")).balance_fen));
    await page.screenshot({ path: join(ART, "operator.png"), fullPage: false });
    await page.fill("#q", "gw-4");
    await page.click("#search button");
    await page.waitForFunction(() => document.querySelectorAll('[data-k="hit"]').length === 2);
  });

  await step("an admin tops up 12.30 yuan from the operator view: exactly 1230 fen", async () => {
    await page.evaluate(async () => { await fetch("/api/v1/session", { method: "DELETE",
      headers: { Authorization: "Bearer " + sessionStorage.getItem("mb_token") } }); sessionStorage.clear(); });
    const r = await page.goto(URL + "/operator.html?account=1100000009");
    assert.equal(r.status(), 401, "signed out: the sign-in page again");
    await page.fill("#token", ADMIN);
    await Promise.all([page.waitForURL(/operator\.html\?account=1100000009$/), page.click("#submit")]);
    await page.waitForSelector('body[data-account="1100000009"]');
    const before = (await api("/api/v1/accounts/1100000009")).balance_fen;
    await page.fill("#topup-amount", "12.30");
    await page.click("#actions button[type=submit]");
    await page.waitForFunction(() => document.querySelector(".msg")?.textContent !== "");
    assert.match(await page.locator(".msg").getAttribute("class"), /ok/, await page.locator(".msg").innerText());
    assert.equal((await api("/api/v1/accounts/1100000009")).balance_fen, before + 1230);
    await page.waitForFunction((n) => document.querySelector('[data-k="balance"]')?.getAttribute("data-v") === String(n),
                               before + 1230);
    await page.screenshot({ path: join(ART, "operator-admin.png") });
  });

  await step("the token never appeared in a URL; no script errors", async () => {
    for (const u of requested) {
      assert.ok(!u.includes(OPER) && !u.includes(ADMIN), "token in " + u);
      assert.ok(!/token=/.test(u), "token parameter in " + u);
    }
    assert.deepEqual(consoleErrors.filter((e) => !/401|403|Unauthorized|Forbidden/.test(e)), []);
  });
} finally {
  await ctx.close();
  rmSync(udd, { recursive: true, force: true });
}
console.log(failures ? `${failures} failed` : "all passed");
process.exit(failures ? 1 : 0);
