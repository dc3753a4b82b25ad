/* SPDX-License-Identifier: Apache-2.0 */
// The wall's transformer-area widgets (docs/dashboard.md, "Transformer
// areas on the wall"), in the wall's style: attention first, figures from
// the API's integers by string work, lists that say what they leave out.
//
//   areas       every area's line loss on the day (default yesterday), out
//               of its band first, each with its prime suspect
//   collection  collection success: the fleet, then regions and areas
//               with the smallest share of daily readings first
//   suspects    the worst area's members by the size of their change
//               against their own week: the meter behind a loss first
//
// A module of the wall (window.WallWidgets): wall-layout.js learns the
// widgets' kinds, wall.js fetches their sources with the others and calls
// their drawing functions with its fitting helpers.  `day=YYYY-MM-DD` in
// the layout or the URL pins the day (a review screen); a kiosk shows
// yesterday, the last whole day.
"use strict";

i18nAdd({
  "zh-CN": {
    "w.areas": "台区线损（超限在前）", "w.collection": "采集成功率（最低在前）",
    "w.suspects": "疑似窃电/停走表（变化最大在前）",
    "ar.count": "{date} · {bad}/{n} 个超限", "ar.none": "尚未设置台区", "ar.more": "另有 {n} 个台区",
    "ar.out_of_band": "超限", "ar.not_computable": "无法计算", "ar.ok": "合格",
    "ar.rate": "线损率 {r}", "ar.band": "合格 {lo}–{hi}", "ar.suspect": "疑似 {who} {c} kWh",
    "ar.why.missing_reading": "缺读数 {m}", "ar.why.not_yet": "读数未到", "ar.why.no_main_meter": "无总表",
    "ar.why.register_backwards": "示数倒走", "ar.why.no_supply": "总表无电量", "ar.why.out_of_range": "数值越界",
    "co.fleet": "全部电表", "co.area": "台区", "co.more": "另有 {n} 项",
    "su.none": "当日无超限台区", "su.area": "{name} · 线损率 {r}", "su.main": "总表",
    "su.day": "当日 {e} / 平日 {b} kWh", "su.state.no_history": "无历史", "su.state.missing": "缺读数",
    "su.state.backwards": "示数倒走", "su.more": "另有 {n} 户",
  },
  en: {
    "w.areas": "Line loss by area, out of band first", "w.collection": "Collection success, lowest first",
    "w.suspects": "Suspect meters, biggest change first",
    "ar.count": "{date} · {bad} of {n} out of band", "ar.none": "no areas set up", "ar.more": "+{n} more areas",
    "ar.out_of_band": "out of band", "ar.not_computable": "not computable", "ar.ok": "in band",
    "ar.rate": "loss {r}", "ar.band": "band {lo}–{hi}", "ar.suspect": "suspect {who} {c} kWh",
    "ar.why.missing_reading": "missing {m}", "ar.why.not_yet": "readings not in yet",
    "ar.why.no_main_meter": "no main meter", "ar.why.register_backwards": "register backwards",
    "ar.why.no_supply": "no supply", "ar.why.out_of_range": "out of range",
    "co.fleet": "all meters", "co.area": "area", "co.more": "+{n} more",
    "su.none": "no area out of band that day", "su.area": "{name} · loss {r}", "su.main": "main meter",
    "su.day": "day {e} / usual {b} kWh", "su.state.no_history": "no history", "su.state.missing": "missing",
    "su.state.backwards": "register backwards", "su.more": "+{n} more",
  },
});

(window.WallWidgets = window.WallWidgets || []).push({
  kinds: { areas: "list", collection: "list", suspects: "list" },
  needs: { areas: "lineloss", collection: "collection", suspects: "lineloss" },

  sources(layout, search) {
    const p = new URLSearchParams(layout || "");
    for (const [k, v] of new URLSearchParams(search || "")) p.set(k, v);
    const day = /^\d{4}-\d{2}-\d{2}$/.test(p.get("day") || "") ? "day=" + p.get("day") + "&" : "";
    return { lineloss: "/api/v1/stats/areas?" + day + "limit=100",
             collection: "/api/v1/stats/collection?" + day.replace(/&$/, "") };
  },

  draw(k) {
    const { el, t } = k;
    // hundredths of a percent, and Wh, from the API's integers
    const pct = (bp) => (bp === null || bp === undefined ? "—" : MB.scaled(bp, 2) + "%");
    const kwh = (wh) => (wh === null || wh === undefined ? "—" : MB.scaled(wh, 3, true));
    const who = (m) => m.holder || m.account || m.meter;

    function areaRow(a) {
      const cls = a.state === "out_of_band" ? "bad" : a.state === "not_computable" ? "warn" : "";
      const facts = [];
      if (a.state === "not_computable")
        facts.push(t("ar.why." + a.reason, { m: a.missing.map((x) => x.meter).join(" ") }));
      else facts.push(t("ar.band", { lo: pct(a.loss_min_bp), hi: pct(a.loss_max_bp) }));
      if (a.suspect) facts.push(t("ar.suspect", { who: who(a.suspect), c: kwh(a.suspect.change_wh) }));
      return el("div", { class: "row " + cls, "data-k": "area", "data-code": a.code, "data-state": a.state,
                         "data-v": a.rate_bp === null ? "" : String(a.rate_bp) },
        el("span", { class: "badge " + a.state, text: t("ar." + a.state) }),
        el("span", { class: "big", text: a.name || a.code }),
        a.rate_bp !== null ? el("span", { class: "big", text: pct(a.rate_bp) }) : null,
        ...facts.map((f) => el("span", { class: "dim", text: f })));
    }

    function areas(d, c) {
      const l = d.lineloss;
      c.aside.replaceChildren(el("span", { "data-k": "areas.count", "data-v": String(l.kinds.out_of_band),
        text: t("ar.count", { date: l.date, bad: MB.int(l.kinds.out_of_band), n: MB.int(l.total) }) }));
      const box = el("div", { class: "rows" }, ...l.areas.map(areaRow));
      if (!l.areas.length) box.append(el("div", { class: "empty", text: t("ar.none") }));
      c.body.replaceChildren(box);
      k.fitRows(box, (n) => t("ar.more", { n: MB.int(n + Math.max(0, l.total - l.areas.length)) }));
    }

    // a bar per region and area: the share that arrived, worst first
    function bar(label, x, key, cls) {
      const share = x.expected ? Math.round((100 * x.collected) / x.expected) : 0;
      return el("div", { class: "pbar " + (cls || ""), "data-k": key, "data-code": x.code || x.region || "",
                         "data-v": x.collected + "/" + x.expected },
        el("div", { class: "top" }, el("span", { text: label }),
           el("span", { class: "n", text: pct(x.rate_bp) + " · " + MB.int(x.collected) + "/" + MB.int(x.expected) })),
        el("div", { class: "track" }, el("div", { class: "fill" + (x.expected && x.collected >= x.expected ? " done" : ""),
                                                    style: "width:" + share + "%" })));
    }

    function collection(d, c) {
      const o = d.collection;
      c.aside.replaceChildren(el("span", { "data-k": "collection.rate", "data-v": String(o.rate_bp),
                                           text: o.date + " · " + pct(o.rate_bp) }));
      const box = el("div", { class: "progress" }, bar(t("co.fleet"), o, "collection.total", "total"));
      // regions and areas merged, the lowest share first (null last)
      const items = [...o.regions.map((r) => ({ x: r, label: MB.region(r.region), key: "collection.region" })),
                     ...o.areas.filter((a) => a.expected).map((a) => ({ x: a, label: (a.name || a.code), key: "collection.area" }))];
      items.sort((p, q) => p.x.rate_bp - q.x.rate_bp || (q.x.expected - q.x.collected) - (p.x.expected - p.x.collected));
      for (const i of items) box.append(bar(i.label, i.x, i.key));
      c.body.replaceChildren(box);
      k.fitRows(box, (n) => t("co.more", { n: MB.int(n) }));
    }

    function memberRow(m) {
      const measured = m.state === "ok" || m.state === "no_history";
      const drop = m.change_wh !== null && m.change_wh < 0;
      return el("div", { class: "row " + (m.state === "ok" ? (drop ? "bad" : "") : "warn"), "data-k": "suspect",
                         "data-meter": m.meter, "data-v": m.change_wh === null ? "" : String(m.change_wh) },
        el("span", { class: "big", text: who(m) }),
        m.change_wh !== null ? el("span", { class: "big", text: (m.change_wh > 0 ? "+" : "") + kwh(m.change_wh) + " kWh" })
          : el("span", { class: "badge warn", text: t("su.state." + m.state) }),
        measured && m.baseline_wh !== null ? el("span", { class: "dim", text: t("su.day", { e: kwh(m.energy_wh), b: kwh(m.baseline_wh) }) }) : null,
        el("span", { class: "dim", text: m.meter }));
    }

    function suspects(d, c) {
      const w = d.lineloss.worst;
      if (!w) {
        c.aside.textContent = d.lineloss.date;
        c.body.replaceChildren(el("div", { class: "rows" }, el("div", { class: "empty", text: t("su.none") })));
        return;
      }
      c.aside.replaceChildren(el("span", { "data-k": "suspects.area", "data-v": w.code,
                                           text: t("su.area", { name: w.name || w.code, r: pct(w.rate_bp) }) }));
      const box = el("div", { class: "rows" }, ...w.members.map(memberRow));
      c.body.replaceChildren(box);
      k.fitRows(box, (n) => t("su.more", { n: MB.int(n) }));
    }

    return { areas, collection, suspects };
  },
});
