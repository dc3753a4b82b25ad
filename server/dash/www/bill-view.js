/* SPDX-License-Identifier: Apache-2.0 */
// A bill's lines and its comparison with earlier months, shared by the
// desk and the printed bill; and amounts in Chinese capitals (大写) for a
// receipt.  Every figure is formatted from the API's integers by string and
// integer operations only.
"use strict";

i18nAdd({
  "zh-CN": { "b.meter": "电表", "b.reg.from": "起码 kWh", "b.reg.to": "止码 kWh", "b.multiplier": "倍率",
             "b.days": "{n}/{of} 天", "b.kw": "{n} kW" },
  en: { "b.meter": "meter", "b.reg.from": "from (register) kWh", "b.reg.to": "to (register) kWh",
        "b.multiplier": "multiplier", "b.days": "{n}/{of} days", "b.kw": "{n} kW" },
});

const BillView = (() => {
  const { el, t } = MB;

  // price in 1/10000 yuan per kWh -> "0.4883"
  const price = (p) => MB.scaled(p, 4, false);
  function lineName(l) {
    if (l.kind === 1) return t("b.fixed");
    if (l.kind === 2) return t("b.demand");
    return t("b.tier", { n: l.tier }) + (l.rate ? " · " + t("rate." + l.rate) : "");
  }
  // energy in kWh; a fixed charge's days of supply of the month's days
  // (prorated); the demand in kW (qty is W: the same scale as Wh -> kWh)
  function qty(l) {
    if (l.kind === 0) return MB.kwh3(l.qty);
    if (l.kind === 1) return l.of > 1 ? t("b.days", { n: l.qty, of: l.of }) : String(l.qty);
    return t("b.kw", { n: MB.kwh3(l.qty) });
  }
  function lines(b) {
    const rows = (b.lines || []).map((l) => el("tr", { "data-k": "bill-line" },
      el("td", { text: lineName(l) }),
      el("td", { class: "num", text: qty(l) }),
      el("td", { class: "num", text: price(l.price) }),
      el("td", { class: "num", text: MB.yuan(l.fen) })));
    return el("table", { class: "lines" },
      el("thead", {}, el("tr", {}, el("th", { text: "" }), el("th", { class: "num", text: t("b.qty") }),
        el("th", { class: "num", text: t("b.price") }), el("th", { class: "num", text: t("b.fen") }))),
      el("tbody", {}, ...rows),
      el("tfoot", {}, el("tr", { class: "total" }, el("td", { text: t("b.total") }),
        el("td", { class: "num", text: b.energy_wh === null ? t("b.none") : MB.kwh3(b.energy_wh) }), el("td"),
        el("td", { class: "num", "data-k": "bill-total", "data-v": String(b.total_fen), text: b.total_fen === null ? t("b.none") : MB.money(b.total_fen) }))));
  }

  // The meters' parts of the month (bill "pieces"): shown when there is
  // something to explain, more than one part (a meter exchanged, a CT
  // replaced) or a meter behind CT and PT (倍率): the registers, the
  // multiplier and the energy billed, register difference times it.
  function pieces(b) {
    const ps = b.pieces || [];
    if (ps.length < 2 && !ps.some((p) => (p.multiplier || 1) !== 1)) return null;
    return el("table", { class: "lines", "data-k": "bill-pieces" },
      el("thead", {}, el("tr", {}, ...["b.meter", "b.reg.from", "b.reg.to", "b.multiplier", "b.energy"]
        .map((k, i) => el("th", { class: i ? "num" : "", text: t(k) })))),
      el("tbody", {}, ...ps.map((p) => el("tr", { "data-k": "bill-piece", "data-v": String(p.multiplier || 1) },
        el("td", { text: p.meter }), el("td", { class: "num", text: MB.kwh3(p.from_wh) }),
        el("td", { class: "num", text: MB.kwh3(p.to_wh) }), el("td", { class: "num", text: "×" + (p.multiplier || 1) }),
        el("td", { class: "num", text: MB.kwh3(p.energy_wh) })))));
  }

  // change against base as a percentage with one decimal, "+12.5%", from
  // integers (BigInt: no rounding surprises on big figures)
  function pct(change, base) {
    if (change === null || base === null || base === undefined || base === 0) return "";
    const c = BigInt(change), b = BigInt(base), a = (c < 0n ? -c : c) * 1000n / (b < 0n ? -b : b);
    return (c < 0n ? "-" : "+") + (a / 10n).toString() + "." + (a % 10n).toString() + "%";
  }
  function compare(b) {
    const row = (label, wh, fen, dwh, dfen) => el("tr", {},
      el("td", { text: label }), el("td", { class: "num", text: wh === null || wh === undefined ? t("b.none") : MB.kwh3(wh) + " kWh" }),
      el("td", { class: "num", text: fen === null || fen === undefined ? t("b.none") : MB.money(fen) }),
      el("td", { class: "num", text: dwh === undefined ? "" : pct(dwh, wh) }));
    return el("table", { class: "compare", "data-k": "bill-compare" },
      el("thead", {}, el("tr", {}, el("th", { text: t("b.compare") }), el("th", { class: "num", text: t("b.energy") }),
        el("th", { class: "num", text: t("col.total") }), el("th", { class: "num", text: t("b.change") }))),
      el("tbody", {}, row(b.month, b.energy_wh, b.total_fen),
        row(t("b.prev"), b.prev_energy_wh, b.prev_total_fen, b.change_wh),
        row(t("b.lastyear"), b.last_year_energy_wh, b.last_year_total_fen, b.change_year_wh)));
  }

  // fen (>= 0) in capitals: 1230 -> 壹拾贰元叁角整
  const D = "零壹贰叁肆伍陆柒捌玖", U = ["", "拾", "佰", "仟"], BIG = ["", "万", "亿", "万亿"];
  function upperYuan(fen) {
    const s = String(fen).padStart(3, "0");
    const int = s.slice(0, -2).replace(/^0+/, ""), jiao = +s[s.length - 2], fn = +s[s.length - 1];
    let out = "", zero = false, groupHas = false;
    for (let i = 0; i < int.length; i++) {
      const d = +int[i], p = int.length - 1 - i, q = p % 4;
      if (q === 3 || i === 0) groupHas = false;
      if (d === 0) zero = true;
      else {
        if (zero && out) out += "零";
        zero = false;
        groupHas = true;
        out += D[d] + U[q];
      }
      if (q === 0 && p > 0 && groupHas) out += BIG[p / 4];
    }
    out = (out || "零") + "元";
    if (!jiao && !fn) return out + "整";
    if (!jiao) return out + (int ? "零" : "") + D[fn] + "分";
    return out + D[jiao] + "角" + (fn ? D[fn] + "分" : "整");
  }

  return { lines, pieces, compare, upperYuan, pct };
})();
