/* SPDX-License-Identifier: Apache-2.0 */
// A printable bill (bill.html?account=N&month=YYYY-MM&size=a4|a5) or a
// receipt for a top-up, refund or adjustment (?account=N&receipt=ID),
// in the user's language (Chinese by default), for A4 or A5 paper.
"use strict";

(async () => {
  if (!(await MB.boot())) return;
  const { el, t, api } = MB;
  const q = new URLSearchParams(location.search);
  const size = q.get("size") === "a4" ? "a4" : "a5";
  const paper = document.getElementById("paper");
  await MB.loadRegions().catch(() => {});
  paper.className = size;
  // the paper size for the printer: A5 portrait or A4 portrait
  document.head.append(el("style", { text: `@page { size: ${size.toUpperCase()} portrait; margin: ${size === "a4" ? 14 : 9}mm; }` }));
  document.getElementById("print").textContent = t(size === "a4" ? "b.print.a4" : "b.print.a5");
  document.getElementById("print").addEventListener("click", () => print());
  const n = encodeURIComponent(q.get("account") || "");
  const kv = (...pairs) => el("dl", { class: "kv" }, ...pairs.flatMap(([k, v]) => [el("dt", { text: k }), el("dd", { text: v })]));
  const acc = await api("/api/v1/accounts/" + n);
  const who = [[t("f.number"), acc.number], [t("f.holder"), acc.holder || "—"], [t("f.address"), acc.address || "—"],
               [t("d.region"), MB.region(acc.region)]];
  const printed = el("p", { class: "note", text: t("b.printed") + "：" + MB.fmtTime(Date.now() / 1000, true) });

  if (q.get("receipt")) {
    const e = await api("/api/v1/accounts/" + n + "/ledger/" + encodeURIComponent(q.get("receipt")));
    const title = e.kind === "topup" ? t("r.title") : t("r.kinds." + e.kind);
    const amount = Math.abs(e.amount_fen);
    document.title = title + " · " + acc.number;
    paper.replaceChildren(el("h1", { text: title }), el("div", { class: "issuer", text: t("brand") + " · No. " + e.id }),
      kv(...who),
      kv([t("r.amount"), MB.money(e.amount_fen)], [t("r.upper"), (e.amount_fen < 0 ? "（负）" : "") + BillView.upperYuan(amount)],
         [e.kind === "topup" ? t("r.method") : t("col.reason"), e.reason || "—"], [t("f.reference"), e.reference || "—"],
         [t("r.after"), MB.money(e.balance_after_fen)], [t("r.time"), MB.fmtTime(e.ts, true)],
         [t("r.by"), e.by || "—"]),
      el("div", { class: "big", "data-k": "receipt-amount", "data-v": String(e.amount_fen), text: MB.money(e.amount_fen) }),
      el("div", { class: "sign" }, el("span", { text: t("r.by") }), el("span", { text: t("r.sign") })), printed);
  } else {
    const month = q.get("month") || "";
    const b = await api("/api/v1/accounts/" + n + "/bills/" + encodeURIComponent(month));
    // the tariffs that priced the month: several when it changed inside the
    // month; a bill priced by one names it (or a plan of it: the account's)
    const ids = b.tariffs ? b.tariffs.map((x) => x.tariff) : [b.tariff && !/^plan-/.test(b.tariff) ? b.tariff : acc.tariff];
    const names = await Promise.all(ids.filter(Boolean).map((id) =>
      api("/api/v1/tariffs/" + encodeURIComponent(id)).then((x) => x.name || id).catch(() => id)));
    const tariff = names.length ? { name: names.join("、") } : null;
    document.title = t("b.title") + " · " + acc.number + " · " + month;
    const period = b.from_ts ? MB.fmtTime(b.from_ts, true) + " — " + (b.to_ts ? MB.fmtTime(b.to_ts, true) : "…") : "—";
    paper.replaceChildren(el("h1", { text: t("b.title") }),
      el("div", { class: "issuer", text: t("brand") + " · " + t("b.month") + " " + month }),
      kv(...who, [t("d.meter"), b.meter || acc.meter || "—"], [t("b.tariffname"), tariff ? tariff.name : b.tariff || "—"],
         [t("b.period"), period], [t("b.state"), b.state === "held" ? t("b.held", { r: b.reason || (b.flags || []).map((f) => t("fl." + f)).join("、") }) : t("bill." + b.state)],
         [t("b.from"), b.from_import_wh === null ? "—" : MB.kwh3(b.from_import_wh) + " kWh"],
         [t("b.to"), b.to_import_wh === null ? "—" : MB.kwh3(b.to_import_wh) + " kWh"]),
      BillView.lines(b), BillView.pieces(b), BillView.compare(b),
      kv([t("b.charged"), b.charged_fen === null || b.charged_fen === undefined ? "—" : MB.money(b.charged_fen)],
         [t("b.posted"), b.posted_fen === null || b.posted_fen === undefined ? "—" : MB.money(b.posted_fen)],
         [t("b.balance"), MB.money(acc.balance_fen)], ["", ""]),
      printed);
  }
  document.body.dataset.ready = "1";
})();
