/* SPDX-License-Identifier: Apache-2.0 */
// Transformer areas on the wall and at the desk, in headless Chromium
// (tests/integration/areas_browser.sh and the end of areas_sim.sh): the
// wall's area widgets show the API's figures, in the API's order (out of
// band first; the worst area's members by their change; collection success
// lowest first), formatted here independently from the integers; with
// MB_AREA_FULL=1 also no two texts overlap and none is clipped at 1920x1080
// and on a 3840x2160 2x2 desktop in zh-CN and en, and the desk's areas tab
// shows the same ranking, an area's members and its days.
//
// With MB_BILL=ACCOUNT/YYYY-MM it checks instead that the printed bill of a
// meter behind CT and PT (seam_multiplier.sh) lists its pieces with their
// multipliers, as the API's bill does.
//
// Environment: MB_URL, MB_ADMIN, MB_OPER, MB_ARTIFACTS; MB_AREA_DAY (the
// line-loss day), MB_COLLECT_DAY (the collection day, default the same),
// MB_AREA_FULL, MB_LANGS (default "zh-CN,en"); MB_BILL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { URL, ADMIN, OPER, ART, step, failed, api, launch, signInPage, scaled, layoutProblems, assert } from "./lib.mjs";

const BILL = process.env.MB_BILL;
const DAY = process.env.MB_AREA_DAY, CDAY = process.env.MB_COLLECT_DAY || DAY;
const FULL = process.env.MB_AREA_FULL === "1";
const LANGS = (process.env.MB_LANGS || "zh-CN,en").split(",");
// the wall's forms, worked out here: hundredths of a percent, Wh as kWh
const pct = (bp) => (bp === null ? "—" : scaled(bp, 2) + "%");
const kwh = (wh) => scaled(wh, 3);

const udd = mkdtempSync(join(tmpdir(), "mb-chromium-"));
const ctx = await launch(udd);
const page = ctx.pages()[0] || (await ctx.newPage());
const errors = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

async function wall(query, viewport) {
  if (viewport) await page.setViewportSize(viewport);
  await page.goto(URL + "/wall.html?" + query);
  await page.waitForSelector("body[data-loaded]", { timeout: 30000 });
}
const attrs = (sel, name) => page.locator(sel).evaluateAll((es, n) => es.map((e) => e.getAttribute(n)), name);

try {
  await signInPage(page, OPER);
  if (BILL) await step("the printed bill lists each piece with its multiplier", async () => {
    const [acct, month] = BILL.split("/");
    const b = await api(`/api/v1/accounts/${acct}/bills/${month}`);
    await page.goto(`${URL}/bill.html?account=${acct}&month=${month}`);
    await page.waitForSelector("body[data-ready]", { timeout: 30000 });
    assert.deepEqual(await attrs('[data-k="bill-piece"]', "data-v"), b.pieces.map((p) => String(p.multiplier)));
    const rows = page.locator('[data-k="bill-piece"]');
    for (let i = 0; i < b.pieces.length; i++) {
      const text = await rows.nth(i).innerText(), p = b.pieces[i];
      for (const want of [kwh(p.from_wh), kwh(p.to_wh), "×" + p.multiplier, kwh(p.energy_wh)])
        assert.ok(text.includes(want), `${text} lacks ${want}`);
    }
    assert.equal(await page.locator('[data-k="bill-total"]').getAttribute("data-v"), String(b.total_fen));
    await page.screenshot({ path: join(ART, "bill-multiplier.png") });
  });
  const loss = DAY ? await api(`/api/v1/stats/areas?day=${DAY}&limit=100`) : null;
  const col = DAY ? await api(`/api/v1/stats/collection?day=${CDAY}`) : null;

  if (DAY) await step("the wall's areas are the API's, out of band first, each with its suspect", async () => {
    await wall(`grid=1x1&p1=areas,suspects,collection&day=${DAY}`);
    const codes = await attrs('[data-k="area"]', "data-code");
    assert.ok(codes.length >= 1, "no area row");
    assert.deepEqual(codes, loss.areas.slice(0, codes.length).map((a) => a.code));
    const rows = page.locator('[data-k="area"]');
    for (let i = 0; i < codes.length; i++) {
      const a = loss.areas[i], text = await rows.nth(i).innerText();
      assert.equal(await rows.nth(i).getAttribute("data-state"), a.state);
      if (a.rate_bp !== null) assert.ok(text.includes(pct(a.rate_bp)), `${a.code}: ${text} lacks ${pct(a.rate_bp)}`);
      if (a.suspect) assert.ok(text.includes(kwh(a.suspect.change_wh)), `${a.code}: ${text} lacks the suspect`);
      for (const m of a.missing || []) assert.ok(text.includes(m.meter), `${a.code}: ${text} lacks ${m.meter}`);
    }
    assert.equal(await page.locator('[data-k="areas.count"]').getAttribute("data-v"), String(loss.kinds.out_of_band));
  });

  if (DAY) await step("the suspects are the worst area's members, the biggest change first", async () => {
    const w = loss.worst;
    assert.ok(w, "no area out of band on " + DAY);
    assert.equal(await page.locator('[data-k="suspects.area"]').getAttribute("data-v"), w.code);
    const meters = await attrs('[data-k="suspect"]', "data-meter");
    assert.ok(meters.length >= 1, "no suspect row");
    assert.deepEqual(meters, w.members.slice(0, meters.length).map((m) => m.meter));
    const first = await page.locator('[data-k="suspect"]').first().innerText();
    assert.ok(first.includes(kwh(w.members[0].change_wh)), first);
  });

  if (DAY) await step("collection success is the API's, lowest first", async () => {
    if (CDAY !== DAY) await wall(`grid=1x1&p1=areas,suspects,collection&day=${CDAY}`);
    assert.equal(await page.locator('[data-k="collection.total"]').getAttribute("data-v"), `${col.collected}/${col.expected}`);
    assert.equal(await page.locator('[data-k="collection.rate"]').getAttribute("data-v"), String(col.rate_bp));
    const want = new Map([...col.regions.map((r) => [r.region, r]), ...col.areas.map((a) => [a.code, a])]);
    const bars = page.locator('[data-k="collection.area"], [data-k="collection.region"]');
    let last = -1;
    for (let i = 0; i < (await bars.count()); i++) {
      const b = bars.nth(i), x = want.get(await b.getAttribute("data-code"));
      assert.equal(await b.getAttribute("data-v"), `${x.collected}/${x.expected}`);
      assert.ok((await b.innerText()).includes(pct(x.rate_bp)));
      assert.ok(x.rate_bp >= last, "lowest share first");
      last = x.rate_bp;
    }
    await page.screenshot({ path: join(ART, `areas-wall-${DAY}.png`) });
  });

  if (DAY && FULL) {
    await step("no overlap, nothing clipped: 1920x1080 and a 3840x2160 2x2 desktop, both languages", async () => {
      for (const lang of LANGS) {
        await wall(`grid=1x1&p1=areas,suspects,collection&day=${DAY}&lang=${lang}`, { width: 1920, height: 1080 });
        let r = await page.evaluate(layoutProblems);
        assert.ok(r.boxes > 12, "the check saw the widgets' texts: " + r.boxes);
        assert.deepEqual(r.problems, [], "1920x1080 " + lang);
        await page.screenshot({ path: join(ART, `areas-1x1-${lang}.png`) });
        await wall(`grid=2x2&p2=areas,collection&p4=suspects,events,anomalies&day=${DAY}&lang=${lang}`,
                   { width: 3840, height: 2160 });
        r = await page.evaluate(layoutProblems);
        assert.deepEqual(r.problems, [], "3840x2160 " + lang);
        await page.screenshot({ path: join(ART, `areas-2x2-${lang}.png`) });
      }
      await page.setViewportSize({ width: 1920, height: 1080 });
    });

    await step("the desk's areas tab: the ranking, an area's members and days, collection", async () => {
      await signInPage(page, ADMIN);
      await page.goto(URL + "/operator.html");
      await page.waitForSelector("body[data-listed]"); // its tabs answer clicks from then on
      await page.locator('#tabs button[data-tab="areas"]').click();
      await page.locator("#area-day").fill(DAY);
      await page.locator("#area-ranking form button[type=submit]").click();
      await page.waitForFunction((d) => document.querySelector("#area-day").value === d &&
        document.querySelector('[data-k="desk-area"]'), DAY);
      await page.waitForTimeout(300);
      assert.deepEqual(await attrs('[data-k="desk-area"]', "data-code"), loss.areas.map((a) => a.code));
      const w = loss.worst;
      await page.locator(`[data-k="desk-area"][data-code="${w.code}"]`).click();
      await page.waitForFunction((c) => document.body.dataset.area === c, w.code);
      const m = await api(`/api/v1/stats/areas/${w.code}/members?day=${DAY}`);
      assert.deepEqual(await attrs('[data-k="desk-member"]', "data-meter"),
                       [...m.main, ...m.members].map((x) => x.meter));
      const first = await page.locator('[data-k="desk-member"]').nth(m.main.length).innerText();
      assert.ok(first.includes(kwh(m.members[0].change_wh)), first);
      const days = await api(`/api/v1/areas/${w.code}/loss?to=${DAY}`);
      const row = page.locator(`[data-k="desk-day"][data-date="${DAY}"]`);
      assert.ok((await row.innerText()).includes(pct(days.days[days.days.length - 1].rate_bp)));
      assert.equal(await page.locator('[data-k="desk-collection"]').count(),
                   (await api(`/api/v1/stats/collection?day=${DAY}`)).regions.length +
                   (await api(`/api/v1/stats/collection?day=${DAY}`)).areas.filter((a) => a.expected).length);
      await page.screenshot({ path: join(ART, "areas-desk.png"), fullPage: true });
    });
  }

  await step("no script errors", async () => {
    assert.deepEqual(errors.filter((e) => !/401|403|net::/.test(e)), []);
  });
} finally {
  await ctx.close();
  rmSync(udd, { recursive: true, force: true });
}
console.log(failed() ? `${failed()} failed` : "all passed");
process.exit(failed() ? 1 : 0);
