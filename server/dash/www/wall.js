/* SPDX-License-Identifier: Apache-2.0 */
// The monitoring wall.  Every figure comes from the documented API
// (docs/api.md, Monitoring) and is refreshed in place every `refresh`
// seconds.  Where the widgets go is wall-layout.js; here each widget is
// drawn into its card and sized to it: figures shrink to their box (and
// switch to compact units, 31.9万), lists keep the worst rows and say what
// they leave out, and a wall whose figures are old says so across the room.
"use strict";

(async () => {
  const { el, t, fmtTime } = MB;
  const me = await MB.boot();
  if (!me) return;
  const lp = WallLayout.params(me.layout, location.search);
  if (lp.lang && !new URLSearchParams(location.search).get("lang")) MB.setLang(lp.lang);
  document.title = t("brand") + " · " + t("wall");

  const SOURCES = {
    overview: "/api/v1/stats/overview",
    regions: "/api/v1/stats/regions",
    offline: "/api/v1/stats/gateways?state=attention&limit=100",
    c24: "/api/v1/stats/consumption?range=24h",
    c30: "/api/v1/stats/consumption?range=30d",
    monthend: "/api/v1/stats/month-end",
    events: "/api/v1/events?limit=40&type=trip,close,tamper,meter_fault,relay_fault,alarm1,alarm2",
    anomalies: "/api/v1/stats/anomalies?limit=200",
    names: "/api/v1/regions",
  };
  const NEEDS = { fleet: "overview", accounts: "overview", money: "overview", regions: "regions",
                  offline: "offline", c24: "c24", c30: "c30", monthend: "monthend", events: "events",
                  anomalies: "anomalies" };
  // widgets of other files (wall-areas.js): their sources here, their drawing below
  const MODS = window.WallWidgets || [];
  for (const m of MODS) { Object.assign(SOURCES, m.sources(me.layout, location.search)); Object.assign(NEEDS, m.needs); }

  // ---- the panels and their cards ------------------------------------------
  const wall = document.getElementById("wall");
  const cards = []; // {w, body, aside, panel}
  const panels = [];
  const status = [];
  function build() {
    wall.replaceChildren();
    cards.length = panels.length = status.length = 0;
    for (const p of WallLayout.panels(lp, innerWidth, innerHeight)) {
      const ws = lp.widgets[p.index - 1];
      const arr = WallLayout.arrange(ws);
      const grid = el("main", { class: "grid", style: "grid-template-columns:" + arr.cols + ";grid-template-rows:" + arr.rows });
      const st = el("span", { class: "status", text: t("loading") });
      const sec = el("section", { class: "panel" + (arr.dense ? " dense" : ""), "data-panel": String(p.index),
                                  style: `left:${p.x}px;top:${p.y}px;width:${p.w}px;height:${p.h}px;--u:${p.h / 1080}px` },
        el("header", { class: "bar" },
          el("span", { class: "brand" }, el("span", { class: "bolt", text: "⚡ " }), t("brand")),
          el("span", { class: "sub", text: t("wall") + (lp.n > 1 ? " · " + t("panel.of", { i: p.index, n: lp.n }) : "") }),
          st, el("span", { class: "clock" })),
        grid, el("div", { class: "stale-banner" }, el("div", { class: "h" }), el("div", { class: "s" })));
      ws.forEach((w, i) => {
        const a = arr.areas[i];
        const aside = el("span", { class: "aside" });
        const body = el("div", { class: "body" });
        const first = !document.getElementById("w-" + w) && !cards.some((c) => c.w === w);
        const card = el("section", { class: "card", id: first ? "w-" + w : null, "data-w": w,
                                     style: `grid-row:${a.row};grid-column:${a.col} / span ${a.span}` },
          el("h2", {}, el("span", { class: "title", text: t("w." + w) }), aside), body);
        grid.append(card);
        cards.push({ w, body, aside, panel: sec, first });
      });
      wall.append(sec);
      panels.push(sec);
      status.push(st);
    }
  }
  build();

  // ---- fitting ---------------------------------------------------------
  const fits = (e) => e.scrollWidth <= e.clientWidth + 1 && e.scrollHeight <= e.clientHeight + 2;
  const px = (card, n) => n * parseFloat(card.panel.style.getPropertyValue("--u"));

  // Lay the figures of a card out in the shape that lets them be biggest:
  // c columns, each figure's label under it or beside it, all values at one
  // font size, every figure whole inside its own box.  A value that cannot
  // fit in full switches to its compact text (31.9万); labels stay at the
  // reading size when any shape allows, else the note size.
  function fitKpis(card, box) {
    const items = [...box.children];
    const n = items.length, dense = card.panel.classList.contains("dense");
    const floor = px(card, 14), hi = px(card, 200);
    const nums = items.map((k) => k.querySelector(".num"));
    const vals = items.map((k) => k.querySelector(".v"));
    const labels = items.map((k) => k.querySelector(".l"));
    const wide = (e) => e.scrollWidth <= e.clientWidth + 1;
    // a third of an em clear after each figure, so neighbours never read as one number
    const clear = (k, i) => nums[i].getBoundingClientRect().right + 0.33 * parseFloat(vals[i].style.fontSize || 0)
                            <= k.getBoundingClientRect().right + 0.5;
    const allFit = () => items.every(fits) && items.every(clear) && vals.every(wide) && labels.every(wide);
    const tryFont = (f) => { for (const v of vals) v.style.fontSize = f + "px"; return allFit(); };
    function largest() {
      if (!tryFont(floor)) return 0;
      let a = floor, b = hi;
      while (b - a > 1) {
        const m = (a + b) / 2;
        if (tryFont(m)) a = m; else b = m;
      }
      return a;
    }
    const apply = (o) => {
      nums.forEach((v) => { v.textContent = o.compact ? v.dataset.compact : v.dataset.full; });
      for (const l of labels) l.style.fontSize = px(card, o.label) + "px";
      for (const k of items) k.classList.toggle("inline", o.inline);
      box.style.gridTemplateColumns = `repeat(${o.c}, minmax(0, 1fr))`;
      box.style.gridTemplateRows = `repeat(${Math.ceil(n / o.c)}, minmax(0, 1fr))`;
    };
    let best = null;
    const better = (o) => !best || o.f > best.f * 1.05 || (o.f >= best.f * 0.95 && o.label > best.label);
    for (const label of dense ? [30, 24] : [42, 30]) {
      for (const compact of [false, true]) {
        for (let c = n; c >= 1; c--) {
          for (const inline of [false, true]) {
            const o = { label, compact, c, inline };
            apply(o);
            o.f = largest();
            if (o.f > 0 && better(o)) best = o;
          }
        }
        if (best) break; // a shape fits in full: no need to compact
      }
      if (best && best.f >= px(card, dense ? 40 : 56)) break;
    }
    best = best || { label: dense ? 24 : 30, compact: true, c: 1, inline: true, f: floor };
    apply(best);
    tryFont(best.f);
  }

  // Drop rows from the end until the box no longer overflows, then say
  // what was left out: lists come worst first, so the worst stay.
  function fitRows(box, moreText) {
    let hidden = 0;
    const overflow = () => box.scrollHeight > box.clientHeight + 1;
    while (box.children.length > 1 && overflow()) {
      box.lastElementChild.remove();
      hidden++;
    }
    if (!hidden || !moreText) return hidden;
    const more = () => el("div", { class: "more", "data-k": "more", "data-n": String(hidden), text: moreText(hidden) });
    let m = more();
    box.append(m);
    while (overflow() && box.children.length > 1) {
      m.remove();
      box.lastElementChild.remove();
      hidden++;
      m = more();
      box.append(m);
    }
    return hidden;
  }

  // ---- figures ---------------------------------------------------------
  function kpi(cls, key, raw, full, compact, label, extra, unit) {
    const v = el("div", { class: "v", title: String(raw) },
                 el("span", { class: "num", "data-full": full, "data-compact": compact, text: full }),
                 unit ? el("small", { text: " " + unit }) : null);
    return el("div", Object.assign({ class: "kpi " + cls, "data-k": key, "data-v": String(raw), title: full }, extra || {}),
              v, el("div", { class: "l", text: label }));
  }
  // long figures are compact from the start (31.9万); shorter ones only
  // when their box is too small for them in full
  const count = (cls, key, n, label) => kpi(cls, key, n, MB.cInt(n), MB.cInt(n, true), label);
  const warnIf = (n, cls) => (n > 0 ? cls : "zero");
  function kpis(c, ...items) {
    const box = el("div", { class: "kpis" }, ...items);
    c.body.replaceChildren(box);
    fitKpis(c, box);
  }

  const R = {};
  R.fleet = (d, c) => {
    const g = d.overview.gateways, m = d.overview.meters;
    c.aside.textContent = t("gw.total", { n: MB.int(g.total), m: MB.int(m.total) });
    kpis(c, count("ok", "gateways.online", g.online, t("gw.online")),
         count(warnIf(g.offline, "bad"), "gateways.offline", g.offline, t("gw.offline")),
         count("ok", "meters.ok", m.ok, t("m.ok")),
         count(warnIf(m.faulty, "bad"), "meters.faulty", m.faulty, t("m.faulty")));
  };
  R.accounts = (d, c) => {
    const a = d.overview.accounts;
    c.aside.textContent = t("acc.total", { n: MB.int(a.total) });
    kpis(c, count(warnIf(a.cut, "bad"), "accounts.cut", a.cut, t("st.cut")),
         count(warnIf(a.alarm2, "warn"), "accounts.alarm2", a.alarm2, t("st.alarm2")),
         count(warnIf(a.alarm1, "warn"), "accounts.alarm1", a.alarm1, t("st.alarm1")),
         count(warnIf(a.protected, "protect"), "accounts.protected", a.protected, t("st.protected")),
         count("ok", "accounts.normal", a.normal, t("st.normal")));
  };
  // Energy, revenue and top-ups, today and this month: a table, so each
  // heading is said once and the six figures get the room.
  R.money = (d, c) => {
    const o = d.overview;
    // a cell: the figure, and under it (top-ups) how many there were
    const cell = (cls, key, raw, full, compact, unit, extra, under) => {
      const k = kpi(cls, key, raw, full, compact, under || "", extra, unit);
      if (!under) k.querySelector(".l").remove();
      return k;
    };
    const e = (key, wh) => cell("info", key, wh, MB.cKwh(wh), MB.cKwh(wh, true), "kWh");
    const y = (cls, key, fen, under, extra) => cell(cls, key, fen, MB.cMoney(fen), MB.cMoney(fen, true), null, extra, under);
    const head = (k) => el("div", { class: "mh", text: t(k) });
    c.aside.textContent = o.month;
    const box = el("div", { class: "mtable" },
      el("div"), head("m.energy"), head("m.revenue"), head("m.topups"),
      head("m.today"), e("energy.today", o.energy_wh.today), y("ok", "revenue.today", o.revenue_fen.today),
      y("warn", "topups.today_fen", o.topups.today_fen, t("m.count", { n: MB.int(o.topups.today_count) }),
        { "data-count": String(o.topups.today_count) }),
      head("m.month"), e("energy.month", o.energy_wh.month), y("ok", "revenue.month", o.revenue_fen.month),
      y("warn", "topups.month_fen", o.topups.month_fen, t("m.count", { n: MB.int(o.topups.month_count) })));
    c.body.replaceChildren(box);
    fitTable(c, box);
  };
  function fitTable(card, box) {
    const dense = card.panel.classList.contains("dense");
    const cells = [...box.querySelectorAll(".kpi")], heads = [...box.querySelectorAll(".mh, .kpi .l")];
    const nums = cells.map((k) => k.querySelector(".num")), vals = cells.map((k) => k.querySelector(".v"));
    const ok = () => cells.every((k, i) => fits(k) && vals[i].scrollWidth <= vals[i].clientWidth + 1 &&
      nums[i].getBoundingClientRect().right + 0.33 * parseFloat(vals[i].style.fontSize) <= k.getBoundingClientRect().right + 0.5) &&
      heads.every(fits) && box.scrollHeight <= box.clientHeight + 1;
    for (const label of dense ? [30, 24, 18] : [42, 30, 24]) {
      for (const h of heads) h.style.fontSize = px(card, label) + "px";
      for (const compact of [false, true]) {
        nums.forEach((v) => { v.textContent = compact ? v.dataset.compact : v.dataset.full; });
        const fit = (f) => { for (const v of vals) v.style.fontSize = f + "px"; return ok(); };
        let a = px(card, 14), b = px(card, 200);
        if (!fit(a)) continue;
        while (b - a > 1) { const m = (a + b) / 2; if (fit(m)) a = m; else b = m; }
        fit(a);
        if (a >= px(card, dense ? 28 : 40) || (compact && label === (dense ? 18 : 24))) return;
      }
    }
  }

  R.regions = (d, c) => {
    const list = d.regions.regions;
    const bad = list.filter((r) => r.health !== "ok").length;
    c.aside.textContent = t("regions.n", { n: list.length }) + (bad ? " · " + t("regions.bad", { n: bad }) : "");
    const box = el("div", { class: "tiles" });
    for (const r of list) {
      const off = r.gateways.offline, faulty = r.meters.faulty, alarms = r.accounts.alarm1 + r.accounts.alarm2;
      const facts = [];
      if (off) facts.push(t("offline.n", { n: off, total: r.gateways.total }));
      if (faulty) facts.push(t("region.faulty", { n: MB.int(faulty) }));
      if (r.accounts.cut) facts.push(t("region.cut", { n: MB.int(r.accounts.cut) }));
      if (alarms) facts.push(t("region.alarm", { n: MB.int(alarms) }));
      if (!facts.length) facts.push(t("acc.total", { n: MB.int(r.accounts.total) }));
      facts.length = Math.min(facts.length, 2); // the two worst, so a tile stays small
      box.append(el("div", { class: "tile " + r.health, "data-k": "region", "data-region": r.region,
                             "data-health": r.health, title: r.region },
        el("div", { class: "name", text: MB.region(r.region) }),
        el("div", { class: "facts" }, ...facts.map((f) => el("span", { text: f })))));
    }
    if (!list.length) box.append(el("div", { class: "empty", text: "—" }));
    c.body.replaceChildren(box);
    const hidden = fitTiles(box);
    if (hidden) c.aside.textContent += " · " + t("more.regions", { n: hidden });
  };
  // tiles leave the grid from the end; the count goes to the card's title
  function fitTiles(box) {
    let hidden = 0;
    while (box.children.length > 1 && box.scrollHeight > box.clientHeight + 1) {
      box.lastElementChild.remove();
      hidden++;
    }
    return hidden;
  }

  // offline gateways first, then those whose uplink is failing, then weak
  // (docs/api.md, GET /stats/gateways?state=attention)
  R.offline = (d, c) => {
    const g = d.offline;
    const asides = [];
    if (g.offline) asides.push(t("offline.n", { n: MB.int(g.offline), total: MB.int(g.total) }));
    if (g.uplink_failing) asides.push(t("uplink.failing.n", { n: MB.int(g.uplink_failing) }));
    if (g.uplink_weak) asides.push(t("uplink.weak.n", { n: MB.int(g.uplink_weak) }));
    c.aside.textContent = asides.join(" · ");
    const box = el("div", { class: "rows" });
    for (const x of g.gateways) box.append(x.online ? uplinkRow(x) : offlineRow(x));
    if (!g.gateways.length) box.append(el("div", { class: "empty", text: t("attention.none") }));
    c.body.replaceChildren(box);
    const listed = g.offline + g.uplink_failing + g.uplink_weak;
    fitRows(box, (n) => t("more", { n: MB.int(n + Math.max(0, listed - g.gateways.length)) }));
  };
  function offlineRow(x) {
    return el("div", { class: "row bad", "data-k": "offline", "data-gateway": x.name },
      el("span", { class: "big", text: x.name }),
      el("span", { text: MB.region(x.region) }),
      el("span", { text: x.silent_s === null ? t("offline.never") : t("offline.for", { d: MB.dur(x.silent_s) }) }),
      el("span", { class: "dim", text: t("offline.meters", { n: MB.int(x.meters) }) }));
  }
  function uplinkRow(x) {
    const u = x.uplink;
    const failing = u.health === "failing";
    const what = failing
      ? (u.state === "failed" ? t("uplink.state.failed") : t("uplink.failing")) +
        (u.retries ? " · " + t("uplink.retries", { n: MB.int(u.retries) }) : "")
      : t("uplink.weak", { p: u.signal_pct });
    const link = [u.operator, u.technology && u.technology.toUpperCase(), u.interface].filter(Boolean).join(" · ");
    return el("div", { class: "row " + (failing ? "bad" : "warn"), "data-k": "uplink", "data-gateway": x.name,
                       "data-health": u.health },
      el("span", { class: "big", text: x.name }),
      el("span", { text: MB.region(x.region) }),
      el("span", { text: what }),
      el("span", { class: "dim", text: link }));
  }

  const charts = {};
  function chart(id, d, c, days) {
    const series = d[id];
    const xs = series.bins.map((b) => b.t);
    const ys = series.bins.map((b) => b.energy_wh / 1000); // kWh, for drawing only
    const total = series.bins.reduce((s, b) => s + b.energy_wh, 0);
    c.aside.replaceChildren(el("span", { "data-k": id + ".total", "data-v": String(total),
                                         text: t("chart.total", { v: MB.cKwh(total) }) }));
    const font = px(c, c.panel.classList.contains("dense") ? 24 : 30);
    const size = () => ({ width: Math.max(100, c.body.clientWidth), height: Math.max(80, c.body.clientHeight) });
    const key = id + ":" + c.panel.dataset.panel;
    if (charts[key] && charts[key].root.isConnected) {
      charts[key].setData([xs, ys]);
      return;
    }
    const axis = { stroke: "#9fb0cc", font: font + "px " + getComputedStyle(document.body).fontFamily,
                   grid: { stroke: "#1f2d4a", width: 1 }, ticks: { stroke: "#1f2d4a", width: 1 } };
    const half = series.bin_s / 2; // room for the first and last bars
    const opts = Object.assign(size(), {
      legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true, range: (u, lo, hi) => [lo - half, hi + half] },
                y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] } },
      axes: [Object.assign({}, axis, { size: font * 1.8, space: font * (days ? 4 : 3.5),
                                       values: (u, v) => v.map((x) => (days ? fmtTime(x, true).slice(5, 10) : fmtTime(x))) }),
             Object.assign({}, axis, { size: font * 4, space: font * 2,
                                       values: (u, v) => v.map((x) => MB.cInt(Math.round(x))) })],
      series: [{}, { stroke: "#4aa8ff", width: 2, fill: "rgba(74,168,255,0.45)",
                     paths: uPlot.paths.bars({ size: [0.75, 200] }), points: { show: false } }],
    });
    const holder = el("div", { class: "chart" });
    c.body.replaceChildren(holder);
    charts[key] = new uPlot(opts, [xs, ys], holder);
    new ResizeObserver(() => charts[key].setSize(size())).observe(c.body);
  }
  R.c24 = (d, c) => chart("c24", d, c, false);
  R.c30 = (d, c) => chart("c30", d, c, true);

  R.monthend = (d, c) => {
    const m = d.monthend;
    c.aside.textContent = m.month + " · " + t(m.window_open ? "me.window.open" : "me.window.closed");
    const box = el("div", { class: "progress" });
    const bar = (label, got, exp, key, cls) => {
      const pct = exp ? Math.round((100 * got) / exp) : 0;
      return el("div", { class: "pbar " + (cls || ""), "data-k": key, "data-v": got + "/" + exp },
        el("div", { class: "top" }, el("span", { text: label }), el("span", { class: "n", text: MB.int(got) + " / " + MB.int(exp) })),
        el("div", { class: "track" }, el("div", { class: "fill" + (got >= exp && exp ? " done" : ""), style: "width:" + pct + "%" })));
    };
    box.append(bar(t("me.all"), m.received, m.expected, "monthend.total", "total"));
    box.append(el("div", { class: "more", text: t("me.bills", { s: MB.int(m.bills.settled), h: MB.int(m.bills.held) }) }));
    for (const r of m.regions) box.append(bar(MB.region(r.region), r.received, r.expected, "monthend.region"));
    c.body.replaceChildren(box);
    fitRows(box, (n) => t("more.regions", { n }));
  };

  const sameDay = (a, b) => fmtTime(a, true).slice(0, 10) === fmtTime(b, true).slice(0, 10);
  const KNOWN = ["trip", "close", "tamper", "meter_fault", "relay_fault", "alarm1", "alarm2"];
  R.events = (d, c) => {
    const now = d.overview ? d.overview.server_time : Date.now() / 1000;
    const box = el("div", { class: "rows" });
    for (const e of d.events.events) {
      const bad = ["trip", "tamper", "meter_fault", "relay_fault"].includes(e.type);
      box.append(el("div", { class: "row" + (bad ? " bad" : ""), "data-k": "event", "data-type": e.type, "data-id": e.gateway + ":" + e.id },
        el("span", { class: "t", text: sameDay(e.ts, now) ? fmtTime(e.ts) : fmtTime(e.ts, true).slice(5, 10) }),
        el("span", { class: "badge " + (KNOWN.includes(e.type) ? e.type : "other"), text: t("ev." + e.type) }),
        el("span", { class: "big", text: e.holder || e.account || e.meter || e.gateway }),
        el("span", { text: MB.region(e.region) })));
    }
    if (!d.events.events.length) box.append(el("div", { class: "empty", text: t("events.none") }));
    c.aside.textContent = d.events.events.length ? t("events.newest") : "";
    c.body.replaceChildren(box);
    fitRows(box, (n) => t("more.older", { n }));
  };

  // "×4.5" up or "÷3.0" down from last month: integer arithmetic on the
  // API's ratio (x1000), one decimal
  function jumpText(x) {
    const r = x.ratio_milli;
    if (r === null || r === undefined) return null;
    if (r >= 1000) return "×" + Math.floor(r / 1000) + "." + Math.floor((r % 1000) / 100);
    if (r <= 0) return null;
    const inv = Math.floor(1000000 / r);
    return "÷" + Math.floor(inv / 1000) + "." + Math.floor((inv % 1000) / 100);
  }
  const flagWords = (x) => [x.state === "held" ? t("fl.held") : null, ...(x.flags || []).map((f) => t("fl." + f))]
    .filter(Boolean).join(" · ");
  R.anomalies = (d, c) => {
    const a = d.anomalies;
    c.aside.replaceChildren(el("span", { "data-k": "anomalies.count", "data-v": String(a.count),
      text: a.month ? t("an.count", { month: a.month, n: MB.int(a.total), b: MB.int(a.bills) }) : t("an.nobills") }));
    // jumps one by one (the biggest first); identical held or flagged
    // bills as one row with their number, so 21 of them take one line
    const groups = new Map(), out = [];
    for (const x of a.anomalies) {
      const k = x.severity === "jump" ? null : x.state + JSON.stringify(x.flags);
      if (k && groups.has(k)) { groups.get(k).n++; continue; }
      const g = { x, n: 1 };
      if (k) groups.set(k, g);
      out.push(g);
    }
    const box = el("div", { class: "rows" });
    const of = new WeakMap(); // row -> its group
    for (const g of out) {
      const x = g.x, j = jumpText(x);
      const sev = x.severity === "jump" ? "jump" : x.state === "held" ? "held" : (x.flags || [])[0] || "flag";
      let row;
      if (g.n > 1) {
        row = el("div", { class: "row warn", "data-k": "anomaly-group", "data-n": String(g.n) },
          el("span", { class: "badge " + sev, text: flagWords(x) }),
          el("span", { class: "big", text: t("an.bills", { n: MB.int(g.n) }) }),
          el("span", { class: "dim", text: t("an.etc", { who: x.holder || x.account }) }));
        of.set(row, g);
        box.append(row);
        continue;
      }
      row = el("div", { class: "row " + (sev === "jump" || sev === "held" ? "bad" : "warn"), "data-k": "anomaly",
                             "data-account": x.account },
        el("span", { class: "badge " + sev, text: j && x.severity === "jump" ? t("fl.jump") + " " + j : flagWords(x) }),
        el("span", { class: "big", text: x.holder || x.account }),
        el("span", { class: "dim", text: x.account }),
        el("span", { text: MB.region(x.region) }),
        x.energy_wh !== null && x.prev_energy_wh !== null
          ? el("span", { class: "dim", text: MB.kwh(x.prev_energy_wh) + " → " + MB.kwh(x.energy_wh) + " kWh" }) : null);
      of.set(row, g);
      box.append(row);
    }
    if (!a.anomalies.length) box.append(el("div", { class: "empty", text: t("an.none") }));
    c.body.replaceChildren(box);
    // what the rows left out, by kind (from the month's totals)
    fitRows(box, () => {
      const shown = {};
      let n = 0;
      for (const r of box.children) {
        const g = of.get(r);
        if (!g) continue;
        n += g.n;
        for (const k of [g.x.state === "held" ? "held" : null, ...(g.x.flags || [])])
          if (k) shown[k] = (shown[k] || 0) + g.n;
      }
      // "held" always comes with the flag that says why: name the flag
      const rest = Object.entries(a.kinds).filter(([k]) => k !== "held").map(([k, v]) => [k, v - (shown[k] || 0)]).filter(([, v]) => v > 0)
        .sort((p, q) => q[1] - p[1]).slice(0, 3).map(([k, v]) => MB.int(v) + " " + t("fl." + k));
      return t("an.more", { n: MB.int(Math.max(0, a.total - n)), what: rest.join(" · ") });
    });
  };

  for (const m of MODS) Object.assign(R, m.draw({ el, t, fmtTime, px, fits, fitRows, kpis, kpi, count, warnIf }));

  // ---- refresh loop ------------------------------------------------------
  let lastOk = null, lastErr = "";
  const shown = () => new Set(cards.map((c) => NEEDS[c.w]));
  async function update() {
    const needs = shown();
    needs.add("overview"); // server time and zone
    needs.add("names");
    const d = {};
    try {
      await Promise.all([...needs].map(async (k) => { d[k] = await MB.api(SOURCES[k]); }));
      MB.setZone(d.overview.timezone);
      MB.loadRegions(d.names);
      for (const c of cards) R[c.w](d, c);
      lastOk = { t: d.overview.server_time, at: Date.now() };
      lastErr = "";
      document.body.dataset.loaded = String((+document.body.dataset.loaded || 0) + 1);
    } catch (e) {
      lastErr = e.message;
    }
    showStatus();
  }

  // Stale: the last good update is older than two refreshes (and a
  // minute), or the last one failed.
  function showStatus() {
    const age = lastOk ? (Date.now() - lastOk.at) / 1000 : Infinity;
    const stale = !!lastErr || (lastOk !== null && age > Math.max(2 * lp.refresh, 60));
    document.body.classList.toggle("stale", stale);
    for (const st of status)
      st.textContent = lastOk ? t("status.ok", { t: fmtTime(lastOk.t), s: lp.refresh }) : t("loading");
    for (const p of panels) {
      p.querySelector(".stale-banner .h").textContent = t("stale.title");
      p.querySelector(".stale-banner .s").textContent = lastOk
        ? t("stale.since", { t: fmtTime(lastOk.t), d: MB.dur(age) }) + (lastErr ? " · " + t("stale.why", { msg: lastErr }) : "")
        : t("stale.never") + (lastErr ? " · " + t("stale.why", { msg: lastErr }) : "");
    }
    document.body.dataset.stale = String(document.body.classList.contains("stale"));
  }
  const tick = () => {
    for (const p of panels) p.querySelector(".clock").textContent = fmtTime(Date.now() / 1000);
    if (lastOk || lastErr) showStatus();
  };
  setInterval(tick, 1000);
  tick();
  await update();
  setInterval(update, lp.refresh * 1000);
  let resizing;
  addEventListener("resize", () => {
    clearTimeout(resizing);
    resizing = setTimeout(() => { for (const k of Object.keys(charts)) delete charts[k]; build(); update(); }, 300);
  });
  MB.keepSession();
})();
