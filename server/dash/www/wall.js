/* SPDX-License-Identifier: Apache-2.0 */
// The monitoring wall.  Every figure comes from the documented API
// (docs/api.md, Monitoring) and is refreshed in place every `refresh`
// seconds (default 30).  URL parameters:
//   ?panel=I&of=N   show the I-th of N parts, for a wall of N screens
//   ?refresh=S      seconds between updates (5..3600)
"use strict";

(() => {
  if (!MB.requireToken()) return;
  const { el, yuan, kwh, int, fmtTime } = MB;
  const q = new URLSearchParams(location.search);
  const num = (s, d, lo, hi) => Math.min(hi, Math.max(lo, parseInt(s, 10) || d));
  const of = num(q.get("of"), 1, 1, 9);
  const panel = num(q.get("panel"), 1, 1, of);
  const refresh = num(q.get("refresh"), 30, 5, 3600);

  const WIDGETS = [
    { id: "fleet", title: "Gateways & meters", needs: "overview" },
    { id: "accounts", title: "Accounts by state", needs: "overview" },
    { id: "money", title: "Energy, revenue, top-ups", needs: "overview" },
    { id: "regions", title: "Regions", needs: "regions" },
    { id: "c24", title: "Consumption · last 24 h", needs: "c24" },
    { id: "c30", title: "Consumption · last 30 days", needs: "c30" },
    { id: "monthend", title: "Month-end readings", needs: "monthend" },
    { id: "events", title: "Latest events", needs: "events" },
    { id: "anomalies", title: "Settlement anomalies", needs: "anomalies" },
  ];
  const from = Math.floor(((panel - 1) * WIDGETS.length) / of);
  const to = Math.floor((panel * WIDGETS.length) / of);
  const mine = WIDGETS.slice(from, to);

  const SOURCES = {
    overview: "/api/v1/stats/overview",
    regions: "/api/v1/stats/regions",
    c24: "/api/v1/stats/consumption?range=24h",
    c30: "/api/v1/stats/consumption?range=30d",
    monthend: "/api/v1/stats/month-end",
    events: "/api/v1/events?limit=30&type=trip,close,tamper,meter_fault,relay_fault,alarm1,alarm2",
    anomalies: "/api/v1/stats/anomalies",
  };

  // ---- layout -------------------------------------------------------------
  const grid = document.getElementById("grid");
  if (of === 1) {
    grid.classList.add("full");
  } else {
    grid.classList.add("split");
    const cols = mine.length <= 3 ? mine.length : Math.ceil(mine.length / 2);
    grid.style.setProperty("--cols", cols);
    grid.style.setProperty("--rows", Math.ceil(mine.length / cols));
    document.getElementById("panel-label").textContent = "panel " + panel + " of " + of;
  }
  const cards = {};
  for (const w of mine) {
    const aside = el("span", { class: "aside" });
    const body = el("div", { class: "body" });
    const card = el("section", { class: "card", id: "w-" + w.id }, el("h2", {}, w.title, aside), body);
    grid.append(card);
    cards[w.id] = { body, aside };
  }

  // Drop trailing children until the box no longer overflows (no scrolling).
  function fit(box, moreText) {
    let hidden = 0;
    while (box.children.length > 1 && box.scrollHeight > box.clientHeight + 1) {
      box.lastElementChild.remove();
      hidden++;
    }
    if (hidden && moreText) {
      if (box.lastElementChild) box.lastElementChild.remove();
      box.append(el("div", { class: "more", text: moreText(hidden + 1) }));
    }
  }

  function kpi(cls, key, raw, text, label, unit) {
    return el("div", { class: "kpi " + cls, "data-k": key, "data-v": String(raw) },
      el("div", { class: "v" }, text, unit ? el("small", { text: unit }) : null),
      el("div", { class: "l", text: label }));
  }
  const warnIf = (n, cls) => (n > 0 ? cls : "zero");

  // ---- renderers ----------------------------------------------------------
  const R = {};
  R.fleet = (d, c) => {
    const g = d.overview.gateways, m = d.overview.meters;
    c.aside.textContent = int(g.total) + " gw · " + int(m.total) + " meters";
    c.body.replaceChildren(el("div", { class: "kpis" },
      kpi("ok", "gateways.online", g.online, int(g.online), "gateways online"),
      kpi(warnIf(g.offline, "bad"), "gateways.offline", g.offline, int(g.offline), "gateways offline"),
      kpi("ok", "meters.ok", m.ok, int(m.ok), "meters reading well"),
      kpi(warnIf(m.faulty, "bad"), "meters.faulty", m.faulty, int(m.faulty), "meters faulty")));
  };
  R.accounts = (d, c) => {
    const a = d.overview.accounts;
    c.aside.textContent = int(a.total) + " accounts";
    c.body.replaceChildren(el("div", { class: "kpis" },
      kpi("ok", "accounts.normal", a.normal, int(a.normal), "normal"),
      kpi(warnIf(a.alarm1, "warn"), "accounts.alarm1", a.alarm1, int(a.alarm1), "alarm 1"),
      kpi(warnIf(a.alarm2, "warn"), "accounts.alarm2", a.alarm2, int(a.alarm2), "alarm 2"),
      kpi(warnIf(a.cut, "bad"), "accounts.cut", a.cut, int(a.cut), "cut off"),
      kpi(warnIf(a.protected, "protect"), "accounts.protected", a.protected, int(a.protected), "protected")));
  };
  R.money = (d, c) => {
    const o = d.overview;
    c.aside.textContent = o.month;
    c.body.replaceChildren(el("div", { class: "money" },
      kpi("info", "energy.today", o.energy_wh.today, kwh(o.energy_wh.today), "energy today", "kWh"),
      kpi("ok", "revenue.today", o.revenue_fen.today, yuan(o.revenue_fen.today), "revenue today", "¥"),
      kpi("warn", "topups.today_fen", o.topups.today_fen, yuan(o.topups.today_fen),
        int(o.topups.today_count) + " top-ups today", "¥"),
      kpi("info", "energy.month", o.energy_wh.month, kwh(o.energy_wh.month), "energy this month", "kWh"),
      kpi("ok", "revenue.month", o.revenue_fen.month, yuan(o.revenue_fen.month), "revenue this month", "¥"),
      kpi("warn", "topups.month_fen", o.topups.month_fen, yuan(o.topups.month_fen),
        int(o.topups.month_count) + " top-ups this month", "¥")));
    const tc = c.body.querySelector('[data-k="topups.today_fen"]');
    tc.setAttribute("data-count", String(o.topups.today_count));
  };
  R.regions = (d, c) => {
    const list = d.regions.regions;
    const bad = list.filter((r) => r.health !== "ok").length;
    c.aside.textContent = list.length + " regions" + (bad ? " · " + bad + " need attention" : "");
    const box = el("div", { class: "regions" });
    for (const r of list) {
      box.append(el("div", { class: "tile " + r.health, "data-k": "region", "data-region": r.region,
                             "data-health": r.health },
        el("div", { class: "name", text: r.region || "(none)" }),
        el("div", { class: "facts" },
          "gw " + r.gateways.online + "/" + r.gateways.total + " · meters " + r.meters.ok + "/" + r.meters.total,
          el("br"), "cut " + r.accounts.cut + " · alarms " + (r.accounts.alarm1 + r.accounts.alarm2))));
    }
    if (!list.length) box.append(el("div", { class: "empty", text: "no regions yet" }));
    c.body.replaceChildren(box);
    fit(box, (n) => "+" + n + " more regions");
  };

  const charts = {};
  function chart(id, d, bars) {
    const c = cards[id];
    const series = d[id];
    const xs = series.bins.map((b) => b.t);
    const ys = series.bins.map((b) => b.energy_wh / 1000); // kWh, for drawing only
    const total = series.bins.reduce((s, b) => s + b.energy_wh, 0);
    c.aside.replaceChildren(el("span", { "data-k": id + ".total", "data-v": String(total),
                                         text: "total " + kwh(total) + " kWh" }));
    const size = () => ({ width: Math.max(100, c.body.clientWidth), height: Math.max(80, c.body.clientHeight) });
    if (charts[id]) {
      charts[id].setData([xs, ys]);
      return;
    }
    const axis = { stroke: "#8fa3c4", font: "16px DejaVu Sans, sans-serif", grid: { stroke: "#1f2d4a", width: 1 },
                   ticks: { stroke: "#1f2d4a", width: 1 } };
    const half = series.bin_s / 2; // room for the first and last bars
    const opts = Object.assign(size(), {
      legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true, range: (u, lo, hi) => [lo - half, hi + half] },
                y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] } },
      axes: [Object.assign({}, axis, { values: (u, v) => v.map((t) => (bars ? fmtTime(t, true).slice(5, 10) : fmtTime(t))) }),
             Object.assign({}, axis, { size: 70, values: (u, v) => v.map((x) => x + "") })],
      series: [{}, { stroke: "#4aa8ff", width: 2, fill: "rgba(74,168,255,0.45)",
                     paths: uPlot.paths.bars({ size: [0.75, 80] }), points: { show: false } }],
    });
    const holder = el("div", { class: "chart" });
    c.body.replaceChildren(holder);
    charts[id] = new uPlot(opts, [xs, ys], holder);
    new ResizeObserver(() => charts[id].setSize(size())).observe(c.body);
  }
  R.c24 = (d) => chart("c24", d, false);
  R.c30 = (d) => chart("c30", d, true);

  R.monthend = (d, c) => {
    const m = d.monthend;
    c.aside.textContent = m.month + (m.window_open ? " · window open" : "");
    const box = el("div", { class: "progress" });
    const bar = (label, got, exp, key, cls) => {
      const pct = exp ? Math.round((100 * got) / exp) : 0;
      return el("div", { class: "bar " + (cls || ""), "data-k": key, "data-v": got + "/" + exp },
        el("div", { text: label }),
        el("div", { class: "track" }, el("div", { class: "fill" + (got >= exp && exp ? " done" : ""),
                                                   style: "width:" + pct + "%" })),
        el("div", { class: "n", text: got + " / " + exp }));
    };
    box.append(bar("all", m.received, m.expected, "monthend.total", "total"));
    for (const r of m.regions) box.append(bar(r.region || "(none)", r.received, r.expected, "monthend.region"));
    box.append(el("div", { class: "note", text: (m.window_open ? "upload window open" : "upload window closed") +
      " · bills " + m.bills.settled + " settled, " + m.bills.held + " held" }));
    c.body.replaceChildren(box);
    fit(box, (n) => "+" + n + " more regions");
  };

  const today = (ts, now) => fmtTime(ts, true).slice(0, 10) === fmtTime(now, true).slice(0, 10);
  R.events = (d, c) => {
    const now = d.overview ? d.overview.server_time : Date.now() / 1000;
    const box = el("div", { class: "rows" });
    for (const e of d.events.events) {
      const known = ["trip", "close", "tamper", "meter_fault", "relay_fault", "alarm1", "alarm2"];
      const what = [e.account ? e.account + (e.holder ? " " + e.holder : "") : e.meter ? "meter " + e.meter : null,
                    e.region].filter(Boolean).join(" · ");
      box.append(el("div", { class: "row", "data-k": "event", "data-type": e.type,
                             "data-id": e.gateway + ":" + e.id },
        el("div", { class: "t", text: today(e.ts, now) ? fmtTime(e.ts) : fmtTime(e.ts, true).slice(5, 10) }),
        el("div", {}, el("span", { class: "badge " + (known.includes(e.type) ? e.type : "other"),
                                   text: e.type.replace("_", " ") })),
        el("div", { text: what || e.gateway })));
    }
    if (!d.events.events.length) box.append(el("div", { class: "empty", text: "no events" }));
    c.aside.textContent = d.events.events.length ? "newest first" : "";
    c.body.replaceChildren(box);
    fit(box, (n) => n + " older not shown");
  };
  R.anomalies = (d, c) => {
    const a = d.anomalies;
    c.aside.replaceChildren(el("span", { "data-k": "anomalies.count", "data-v": String(a.count),
      text: a.month ? a.month + " · " + a.count + " of " + a.bills + " bills" : "no bills yet" }));
    const box = el("div", { class: "rows" });
    for (const x of a.anomalies) {
      const flags = (x.flags || []).map((f) => el("span", { class: "badge " + (f === "jump" ? "jump" : "flag"),
                                                           text: f.replace(/_/g, " ") }));
      box.append(el("div", { class: "row anomaly", "data-k": "anomaly", "data-account": x.account },
        el("div", {}, el("span", { class: "badge " + x.state, text: x.state })),
        el("div", { text: x.account }),
        el("div", { style: "display:flex;gap:6px" }, ...flags)));
    }
    if (!a.anomalies.length) box.append(el("div", { class: "empty", text: "none this month" }));
    c.body.replaceChildren(box);
    fit(box, (n) => n + " more");
  };

  // ---- refresh loop -------------------------------------------------------
  const status = document.getElementById("status");
  let lastOk = null;
  async function update() {
    const needs = new Set(mine.map((w) => w.needs));
    needs.add("overview"); // server time and zone
    const d = {};
    try {
      await Promise.all([...needs].map(async (k) => { d[k] = await MB.api(SOURCES[k]); }));
      MB.setZone(d.overview.timezone);
      for (const w of mine) R[w.id](d, cards[w.id]);
      lastOk = d.overview.server_time;
      status.className = "status";
      status.textContent = "updated " + fmtTime(lastOk) + " · every " + refresh + " s";
      document.body.dataset.loaded = String((+document.body.dataset.loaded || 0) + 1);
    } catch (e) {
      status.className = "status stale";
      status.textContent = "STALE" + (lastOk ? " since " + fmtTime(lastOk) : "") + ": " + e.message;
    }
  }
  const clock = document.getElementById("clock");
  const tick = () => { clock.textContent = fmtTime(Date.now() / 1000); };
  setInterval(tick, 1000);
  tick();
  update();
  setInterval(update, refresh * 1000);
  MB.keepSession();
})();
