/* SPDX-License-Identifier: Apache-2.0 */
// The wall in headless Chromium against a server that
// tests/integration/dashboard_browser.sh filled with the small scenario of
// dashboard_lib.sh and a 50,000-account utility (dashboard_utility.sh):
// the sign-in gate; the wall's figures are the API's; at 1920x1080, split
// 2x2 and 3x1 (a window per panel), and one 3840x2160 (2x2) and 5760x1080
// (3x1) desktop with bezel compensation, in zh-CN and en, no two texts
// overlap and none is clipped; gateways with a weak or failing uplink
// listed after the offline ones; it updates in place and says when it is
// stale; a kiosk screen's display credential survives a browser restart
// and its revocation stops the screen.  Screenshots go to $MB_ARTIFACTS.
//
// Environment: MB_URL, MB_ADMIN, MB_OPER, MB_GW (a gateway token),
// MB_ARTIFACTS (directory for the PNGs), MB_LANGS (the languages of the
// geometry checks, default "zh-CN,en").
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { URL, ADMIN, OPER, GW, ART, step, failed, api, launch, signInPage, forms, layoutProblems, assert } from "./lib.mjs";

const udd = mkdtempSync(join(tmpdir(), "mb-chromium-"));
let ctx = await launch(udd);
let page = ctx.pages()[0] || (await ctx.newPage());
const requested = [];
const consoleErrors = [];
function watch(p) {
  p.on("request", (r) => requested.push(r.url()));
  p.on("console", (m) => { if (m.type() === "error") consoleErrors.push(m.text()); });
  p.on("pageerror", (e) => consoleErrors.push(String(e)));
}
watch(page);
const v = (k) => page.locator(`[data-k="${k}"]`).first().getAttribute("data-v");
const num = (k) => page.locator(`[data-k="${k}"] .num`).first().innerText();

async function wall(query, viewport) {
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(URL + "/wall.html?" + query);
  await page.waitForSelector("body[data-loaded]", { timeout: 30000 });
}

try {
  await step("without a session the wall URL answers 401 with the sign-in page and no data", async () => {
    const r = await page.goto(URL + "/wall.html?grid=1x1&refresh=5");
    assert.equal(r.status(), 401);
    await page.locator("#signin").waitFor();
    assert.equal(await page.locator("#wall").count(), 0);
    for (const p of ["/wall.js", "/common.js", "/wall-layout.js", "/vendor/uplot/uPlot.iife.min.js"]) {
      const s = await page.evaluate(async (u) => (await fetch(u)).status, p);
      assert.equal(s, 401, p);
    }
    assert.equal(await page.evaluate(async () => (await fetch("/api/v1/stats/overview")).status), 401);
    // the sign-in page speaks the server's default language
    assert.equal(await page.locator("#submit").innerText(), "登录");
  });

  await step("a wrong token and a gateway token are refused at sign-in", async () => {
    await page.fill("#token", "mbt_1_" + "0".repeat(64));
    await page.click("#submit");
    await page.locator("#error").filter({ hasText: /./ }).waitFor();
    await page.fill("#token", GW);
    await page.click("#submit");
    await page.locator("#error", { hasText: "网关令牌" }).waitFor();
    assert.equal(await page.locator("#wall").count(), 0);
  });

  await step("an operator token signs in and the same URL becomes the wall, in Chinese", async () => {
    await page.fill("#token", OPER);
    await Promise.all([page.waitForURL(/wall\.html\?grid=1x1&refresh=5$/), page.click("#submit")]);
    await page.waitForSelector("body[data-loaded]");
    const cookies = await ctx.cookies();
    const c = cookies.find((x) => x.name === "mb_session");
    assert.ok(c && c.httpOnly && c.sameSite === "Strict", "HttpOnly SameSite=Strict cookie");
    assert.ok(!cookies.some((x) => x.value.includes(OPER)), "the token is not a cookie");
    assert.equal(await page.evaluate(() => localStorage.getItem("mb_display")), null, "a person's token is not kept");
    assert.equal(await page.evaluate(() => document.documentElement.lang), "zh-CN");
    assert.equal(await page.locator('#w-accounts h2 .title').innerText(), "用户状态");
  });

  const o = await api("/api/v1/stats/overview");
  await step("the wall's figures are the API's, 50,010 accounts of them, formatted from integers", async () => {
    assert.ok(o.accounts.total >= 50000, "the utility is seeded: " + o.accounts.total);
    const want = {
      "gateways.online": [o.gateways.online, "int"], "gateways.offline": [o.gateways.offline, "int"],
      "meters.ok": [o.meters.ok, "int"], "meters.faulty": [o.meters.faulty, "int"],
      "accounts.normal": [o.accounts.normal, "int"], "accounts.alarm1": [o.accounts.alarm1, "int"],
      "accounts.alarm2": [o.accounts.alarm2, "int"], "accounts.cut": [o.accounts.cut, "int"],
      "accounts.protected": [o.accounts.protected, "int"],
      "energy.today": [o.energy_wh.today, "kwh"], "energy.month": [o.energy_wh.month, "kwh"],
      "revenue.today": [o.revenue_fen.today, "money"], "revenue.month": [o.revenue_fen.month, "money"],
      "topups.today_fen": [o.topups.today_fen, "money"], "topups.month_fen": [o.topups.month_fen, "money"],
    };
    for (const [k, [n, kind]] of Object.entries(want)) {
      assert.equal(await v(k), String(n), k);
      const shown = await num(k);
      assert.ok(forms(kind, n, "zh-CN").includes(shown), `${k}: ${shown} is not ${forms(kind, n, "zh-CN")}`);
    }
    // long amounts are compact: more than ¥100,000 of revenue this month
    assert.match(await num("revenue.month"), /^¥[\d,.]+万$/);
    assert.equal(await page.locator('[data-k="topups.today_fen"]').getAttribute("data-count"), String(o.topups.today_count));
  });

  await step("regions worst first with their names; offline gateways named with how long; anomalies worst first", async () => {
    const r = await api("/api/v1/stats/regions");
    const tiles = page.locator('[data-k="region"]');
    assert.ok((await tiles.count()) >= 1);
    for (let i = 0; i < (await tiles.count()); i++) {
      const tile = tiles.nth(i);
      assert.equal(await tile.getAttribute("data-region"), r.regions[i].region, "tile " + i + " in the API's order");
      assert.equal(await tile.getAttribute("data-health"), r.regions[i].health);
      const bg = await tile.evaluate((e) => getComputedStyle(e).backgroundColor);
      assert.equal(bg, { ok: "rgb(47, 191, 113)", warn: "rgb(245, 184, 61)", bad: "rgb(255, 93, 93)" }[r.regions[i].health]);
    }
    assert.match(await tiles.first().locator(".name").innerText(), /区$/, "a district's name, not its code");
    const g = await api("/api/v1/stats/gateways");
    const first = page.locator('[data-k="offline"]').first();
    assert.equal(await first.getAttribute("data-gateway"), g.gateways[0].name, "the worst offline gateway first");
    assert.match(await first.innerText(), /从未上线|离线 \d/);
    const an = await api("/api/v1/stats/anomalies?limit=200");
    const row = page.locator('[data-k="anomaly"]').first();
    assert.equal(await row.getAttribute("data-account"), an.anomalies[0].account, "the biggest jump first");
    assert.match(await row.innerText(), /×4\.5/);
    assert.match(await row.innerText(), new RegExp(an.anomalies[0].holder));
    const more = page.locator('#w-anomalies [data-k="more"]');
    assert.match(await more.innerText(), /缺月末读数/, "+N more says what it leaves out");
  });

  await step("charts (uPlot), month-end and events equal the API's", async () => {
    assert.equal(await page.locator(".uplot canvas").count(), 1, "the 24 h chart on the overview");
    const c = await api("/api/v1/stats/consumption?range=24h");
    assert.equal(await v("c24.total"), String(c.bins.reduce((s, b) => s + b.energy_wh, 0)));
    const me = await api("/api/v1/stats/month-end");
    assert.equal(await v("monthend.total"), me.received + "/" + me.expected);
    const ev = await api("/api/v1/events?limit=40&type=trip,close,tamper,meter_fault,relay_fault,alarm1,alarm2");
    assert.equal(await page.locator('[data-k="event"]').first().getAttribute("data-type"), ev.events[0].type);
  });

  await step("after the offline gateways, those whose uplink is failing, then weak, with signal and operator", async () => {
    await wall("grid=1x1&p1=offline&lang=zh-CN", { width: 1920, height: 1080 });
    const a = await api("/api/v1/stats/gateways?state=attention&limit=100");
    const up = a.gateways.filter((x) => x.online);
    const weakApi = up.find((x) => x.uplink.health === "weak");
    const failApi = up.find((x) => x.uplink.health === "failing");
    assert.ok(weakApi && failApi, "the scenario has a weak and a failing uplink: " + JSON.stringify(a));
    const rows = page.locator('#w-offline .row');
    const kinds = await rows.evaluateAll((rs) => rs.map((r) => r.dataset.k + ":" + r.dataset.gateway));
    assert.deepEqual(kinds, a.gateways.map((x) => (x.online ? "uplink:" : "offline:") + x.name),
                     "every listed gateway, in the API's order: offline first");
    const weak = page.locator(`#w-offline [data-k="uplink"][data-gateway="${weakApi.name}"]`);
    assert.equal(await weak.getAttribute("data-health"), "weak");
    assert.match(await weak.innerText(), new RegExp("信号弱 " + weakApi.uplink.signal_pct + "%"));
    assert.match(await weak.innerText(), new RegExp(weakApi.uplink.operator + " · LTE"));
    assert.ok(await weak.evaluate((e) => e.classList.contains("warn")), "a weak uplink is amber");
    const failing = page.locator(`#w-offline [data-k="uplink"][data-gateway="${failApi.name}"]`);
    assert.match(await failing.innerText(), new RegExp("上行故障 · 重试 " + failApi.uplink.retries + " 次"));
    assert.ok(await failing.evaluate((e) => e.classList.contains("bad")), "a failing uplink is red");
    const aside = await page.locator("#w-offline .aside").innerText();
    assert.match(aside, new RegExp("上行故障 " + a.uplink_failing));
    assert.match(aside, new RegExp("信号弱 " + a.uplink_weak));
    await page.screenshot({ path: join(ART, "wall-gateways-uplink.png") });
  });

  // ---- every geometry, both languages: nothing overlaps, nothing is clipped ----
  const GEOMETRIES = [
    { name: "1920x1080", viewport: { width: 1920, height: 1080 }, queries: [""] },
    { name: "2x2", viewport: { width: 1920, height: 1080 }, queries: [1, 2, 3, 4].map((p) => `grid=2x2&panel=${p}`) },
    { name: "3x1", viewport: { width: 1920, height: 1080 }, queries: [1, 2, 3].map((p) => `grid=3x1&panel=${p}`) },
    { name: "3840x2160", viewport: { width: 3840, height: 2160 }, queries: ["grid=2x2&bezel=24"] },
    { name: "5760x1080", viewport: { width: 5760, height: 1080 }, queries: ["grid=3x1&bezel=16"] },
  ];
  for (const lang of (process.env.MB_LANGS || "zh-CN,en").split(","))
    for (const g of GEOMETRIES)
      await step(`${g.name} in ${lang}: no two texts overlap, none is clipped; screenshots`, async () => {
        for (const q of g.queries) {
          await wall(q + (q ? "&" : "") + "lang=" + lang, g.viewport);
          const r = await page.evaluate(layoutProblems);
          assert.ok(r.boxes > 12, "the check saw the wall's texts: " + r.boxes);
          assert.deepEqual(r.problems, [], `${g.name} ${q} ${lang}`);
          const scroll = await page.evaluate(() => [document.documentElement.scrollWidth, document.documentElement.scrollHeight]);
          assert.deepEqual(scroll, [g.viewport.width, g.viewport.height], "the page does not scroll");
          const file = `wall-${g.name}${q.includes("panel=") ? "-p" + q.split("panel=")[1] : ""}-${lang}.png`;
          await page.screenshot({ path: join(ART, file) });
        }
      });

  await step("one 3840x2160 desktop: each panel's widgets stay inside its quarter, clear of the seams", async () => {
    await wall("grid=2x2&bezel=24", { width: 3840, height: 2160 });
    const r = await page.evaluate(() => [...document.querySelectorAll(".panel")].map((p) => {
      const b = p.getBoundingClientRect();
      const cards = [...p.querySelectorAll(".card")].map((c) => c.getBoundingClientRect());
      return { x: b.x, y: b.y, w: b.width, h: b.height,
               inside: cards.every((c) => c.left >= b.left && c.right <= b.right && c.top >= b.top && c.bottom <= b.bottom) };
    }));
    assert.deepEqual(r.map((p) => [p.x, p.y, p.w, p.h]), [[0, 0, 1908, 1068], [1932, 0, 1908, 1068], [0, 1092, 1908, 1068], [1932, 1092, 1908, 1068]]);
    assert.ok(r.every((p) => p.inside));
  });

  await step("the wall updates itself without a reload when a top-up arrives", async () => {
    await wall("grid=1x1&refresh=5", { width: 1920, height: 1080 });
    const navs = [];
    page.on("framenavigated", (f) => { if (f === page.mainFrame()) navs.push(f.url()); });
    const before = Number(await page.locator('[data-k="topups.today_fen"]').getAttribute("data-count"));
    await api("/api/v1/accounts/1100000005/topups", ADMIN, { method: "POST",
      body: JSON.stringify({ amount_fen: 1000, reference: "WALL-LIVE-1" }) });
    await page.waitForFunction((n) => Number(document.querySelector('[data-k="topups.today_fen"]')?.getAttribute("data-count")) === n,
                               before + 1, { timeout: 20000 });
    assert.deepEqual(navs, [], "no navigation");
  });

  await step("a stale wall is unmistakable: red frame, dimmed figures, a banner with when and why", async () => {
    assert.equal(await page.evaluate(() => document.body.dataset.stale), "false");
    await page.route("**/api/v1/stats/**", (r) => r.abort());
    await page.waitForFunction(() => document.body.dataset.stale === "true", null, { timeout: 20000 });
    const banner = page.locator(".stale-banner").first();
    assert.ok(await banner.isVisible());
    assert.match(await banner.innerText(), /数据已过期[\s\S]*最后更新/);
    const f = await banner.locator(".h").evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    assert.ok(f >= 100, "the banner reads from across the room: " + f);
    await page.screenshot({ path: join(ART, "wall-stale-zh-CN.png") });
    await page.unroute("**/api/v1/stats/**");
    await page.waitForFunction(() => document.body.dataset.stale === "false", null, { timeout: 20000 });
  });

  // ---- a kiosk screen ----------------------------------------------------
  let display;
  await step("a display credential is enrolled once on its screen and shows the wall with its layout", async () => {
    display = await api("/api/v1/displays", ADMIN, { method: "POST",
      body: JSON.stringify({ name: "wall-2x2-p4", layout: "grid=2x2&panel=4&refresh=5", lang: "en" }) });
    await ctx.clearCookies();
    await page.evaluate(() => sessionStorage.clear());
    // scripted enrolment: the token in a fragment, never sent to the server
    await page.goto(URL + "/signin.html#enrol=" + display.token);
    await page.waitForURL(/wall\.html$/);
    await page.waitForSelector("body[data-loaded]");
    assert.equal(await page.evaluate(() => localStorage.getItem("mb_display")), display.token);
    const ws = await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.w));
    assert.deepEqual(ws, ["events", "anomalies"], "panel 4 of the display's 2x2 layout");
    assert.equal(await page.locator(".sub").first().innerText(), "control room · panel 4 of 4");
    assert.equal(await page.evaluate(async () => (await fetch("/api/v1/search?q=1", {
      headers: { Authorization: "Bearer " + localStorage.getItem("mb_display") } })).status), 403, "a display reads the wall only");
  });

  await step("the kiosk survives a browser restart (cookie gone too) without typing anything", async () => {
    await ctx.close();
    ctx = await launch(udd);
    page = ctx.pages()[0] || (await ctx.newPage());
    watch(page);
    await page.goto(URL + "/wall.html");
    await page.waitForSelector("body[data-loaded]", { timeout: 20000 });
    // and again with the session cookie expired meanwhile
    await ctx.clearCookies();
    await ctx.close();
    ctx = await launch(udd);
    page = ctx.pages()[0] || (await ctx.newPage());
    watch(page);
    const r = await page.goto(URL + "/wall.html");
    assert.equal(r.status(), 401, "no cookie: the sign-in page...");
    await page.waitForURL(/wall\.html$/);
    await page.waitForSelector("body[data-loaded]", { timeout: 20000 });
    assert.deepEqual(await page.$$eval(".card", (cs) => cs.map((c) => c.dataset.w)), ["events", "anomalies"]);
    await page.screenshot({ path: join(ART, "kiosk-after-restart.png") });
    const list = await api("/api/v1/displays");
    assert.ok(list.displays.find((d) => d.name === "wall-2x2-p4").last_seen > 0, "the desk sees the screen alive");
  });

  await step("a revoked display credential stops the screen within a refresh", async () => {
    await api("/api/v1/displays/wall-2x2-p4", ADMIN, { method: "DELETE" });
    await page.waitForURL(/signin\.html\?revoked=1/, { timeout: 20000 });
    await page.locator("body.revoked #error").waitFor();
    assert.match(await page.locator("#error").innerText(), /revoked|吊销/);
    assert.equal(await page.evaluate(() => localStorage.getItem("mb_display")), null, "the dead credential is forgotten");
    await page.screenshot({ path: join(ART, "kiosk-revoked.png") });
    // and it stays stopped after a restart
    await page.goto(URL + "/wall.html");
    await page.locator("#signin").waitFor();
    assert.equal(await page.locator("#wall").count(), 0);
  });

  await step("no token ever appeared in a URL; no script errors", async () => {
    for (const u of requested) {
      assert.ok(!u.includes(OPER) && !u.includes(ADMIN) && !(display && u.includes(display.token.slice(6))), "token in " + u);
      assert.ok(!/token=/.test(u), "token parameter in " + u);
    }
    assert.deepEqual(consoleErrors.filter((e) => !/401|403|Unauthorized|Forbidden|ERR_FAILED|net::/.test(e)), []);
  });
} finally {
  await ctx.close();
  rmSync(udd, { recursive: true, force: true });
}
console.log(failed() ? `${failed()} failed` : "all passed");
process.exit(failed() ? 1 : 0);
