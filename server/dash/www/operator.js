/* SPDX-License-Identifier: Apache-2.0 */
// The operator view: find an account by number, holder name, meter address
// or gateway; show its balance, state, meter, readings, ledger and bills;
// issue a top-up or a relay command when the token is an admin's.  Every
// figure comes from the documented API (docs/api.md).
"use strict";

(() => {
  if (!MB.requireToken()) return;
  const { el, api, yuan, kwh3, fmtTime } = MB;
  const results = document.getElementById("results");
  const detail = document.getElementById("detail");
  const admin = MB.role() === "admin";
  document.getElementById("who").textContent = (MB.name() || "") + " · " + (MB.role() || "");
  document.getElementById("signout").addEventListener("click", MB.signOut);
  let chart = null;
  let flash = null; // a message that outlives the re-render after a write

  const enc = encodeURIComponent;
  const money = (fen) => el("span", { class: fen < 0 ? "neg" : "", text: yuan(fen) });

  async function search(q) {
    results.replaceChildren(el("div", { class: "hint", text: "searching…" }));
    try {
      const r = await api("/api/v1/search?q=" + enc(q));
      results.replaceChildren();
      if (!r.accounts.length) results.append(el("div", { class: "hint", text: "no account matches “" + q + "”" }));
      for (const a of r.accounts) {
        const hit = el("div", { class: "hit", "data-k": "hit", "data-account": a.number },
          el("div", { class: "top" }, el("span", { text: a.number }), money(a.balance_fen)),
          el("div", { class: "sub" }, el("span", { class: "badge " + a.status, text: a.status }), " ",
             a.holder || "", a.meter ? " · meter " + a.meter : "", a.gateway ? " · " + a.gateway : ""));
        hit.addEventListener("click", () => show(a.number, a.status));
        results.append(hit);
      }
      if (r.accounts.length === 1) show(r.accounts[0].number, r.accounts[0].status);
    } catch (e) {
      results.replaceChildren(el("div", { class: "hint", text: "search failed: " + e.message }));
    }
  }

  function table(cols, rows, key) {
    const t = el("table", {}, el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { class: c.num ? "num" : "", text: c.h })))));
    const body = el("tbody");
    for (const r of rows) {
      const tr = el("tr", { "data-k": key, "data-id": String(r.id !== undefined ? r.id : r.month) });
      for (const c of cols) {
        const v = c.f(r);
        tr.append(el("td", { class: c.num ? "num" : "" }, v instanceof Node ? v : String(v === null || v === undefined ? "" : v)));
      }
      body.append(tr);
    }
    t.append(body);
    return t;
  }

  function readingsChart(box, readings) {
    const xs = readings.filter((r) => r.import_wh !== null).map((r) => r.ts);
    const ys = readings.filter((r) => r.import_wh !== null).map((r) => r.import_wh / 1000); // drawing only
    if (chart) chart.destroy();
    chart = null;
    if (xs.length < 1) {
      box.append(el("div", { class: "hint", text: "no readings yet" }));
      return;
    }
    const holder = el("div", { class: "chart" });
    box.append(holder);
    const axis = { stroke: "#8fa3c4", grid: { stroke: "#1f2d4a" }, ticks: { stroke: "#1f2d4a" } };
    chart = new uPlot({ width: holder.clientWidth || 600, height: 260, legend: { show: false },
      scales: { x: { time: true } }, axes: [axis, Object.assign({ size: 80 }, axis)],
      series: [{}, { stroke: "#4aa8ff", width: 2, fill: "rgba(74,168,255,0.2)", points: { show: true, size: 5 } }] },
      [xs, ys], holder);
  }

  function actions(acc) {
    const box = el("div", { class: "actions" });
    const msg = el("div", { class: "msg" + (flash ? " " + flash.cls : ""), text: flash ? flash.text : "" });
    flash = null;
    const ref = () => "WEB-" + Date.now() + "-" + Array.from(crypto.getRandomValues(new Uint8Array(4)), (b) => b.toString(16).padStart(2, "0")).join("");
    const amount = el("input", { placeholder: "amount, yuan", id: "topup-amount" });
    const reference = el("input", { value: ref(), id: "topup-ref" });
    const topup = el("form", {}, el("strong", { text: "Top-up" }), amount, reference, el("button", { type: "submit", text: "Credit" }));
    topup.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const fen = MB.parseYuan(amount.value);
      if (!fen) { msg.className = "msg err"; msg.textContent = "amount: yuan with up to two decimals, e.g. 50 or 12.30"; return; }
      try {
        const r = await api("/api/v1/accounts/" + enc(acc.number) + "/topups", { method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ amount_fen: fen, reference: reference.value, reason: "operator view" }) });
        flash = { cls: "ok", text: (r.duplicate ? "already credited: " : "credited ") + yuan(fen) +
                  " yuan; balance " + yuan(r.entry.balance_after_fen) };
        show(acc.number);
      } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
    });
    box.append(topup);
    if (acc.meter) {
      const op = el("select", {}, ...["trip", "close", "protect", "unprotect"].map((o) => el("option", { value: o, text: o })));
      const reason = el("input", { placeholder: "reason", required: true });
      const cmd = el("form", {}, el("strong", { text: "Command" }), op, reason, el("button", { type: "submit", class: "danger", text: "Send" }));
      cmd.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        try {
          const r = await api("/api/v1/meters/" + enc(acc.meter) + "/commands", { method: "POST",
            headers: { "Content-Type": "application/json" }, body: JSON.stringify({ op: op.value, reason: reason.value }) });
          msg.className = "msg ok";
          msg.textContent = "command " + r.id + " (" + r.op + ") " + r.state;
        } catch (e) { msg.className = "msg err"; msg.textContent = e.message; }
      });
      box.append(cmd);
    }
    box.append(msg);
    return box;
  }

  async function show(number, status) {
    for (const h of results.querySelectorAll(".hit")) h.classList.toggle("sel", h.dataset.account === number);
    history.replaceState(null, "", "?account=" + enc(number));
    detail.replaceChildren(el("div", { class: "hint", text: "loading " + number + "…" }));
    try {
      const n = enc(number);
      const [acc, ledger, bills, found] = await Promise.all([
        api("/api/v1/accounts/" + n), api("/api/v1/accounts/" + n + "/ledger"),
        api("/api/v1/accounts/" + n + "/bills"), status ? null : api("/api/v1/search?q=" + n)]);
      if (!status && found) {
        const hit = found.accounts.find((a) => a.number === number);
        status = hit ? hit.status : "";
      }
      const readings = acc.meter ? await api("/api/v1/meters/" + enc(acc.meter) + "/readings?limit=500") : { readings: [] };
      const last = readings.readings[readings.readings.length - 1];
      detail.replaceChildren();
      detail.append(el("section", { class: "card wide", id: "summary" }, el("h2", { text: "Account" }),
        el("div", { class: "summary" },
          el("div", {}, el("div", { class: "name", text: acc.number + " · " + (acc.holder || "") }),
             el("div", { class: "hint", text: [acc.address, acc.region, acc.mode, acc.state].filter(Boolean).join(" · ") })),
          el("div", { class: "big", "data-k": "balance", "data-v": String(acc.balance_fen) }, money(acc.balance_fen), el("small", { text: " ¥" })),
          el("span", { class: "badge " + status, "data-k": "status", text: status }),
          acc.protected ? el("span", { class: "badge protected", text: "protected" }) : null)));
      detail.append(el("section", { class: "card" }, el("h2", { text: "Meter and thresholds" }),
        el("dl", { class: "kv" },
          el("dt", { text: "meter" }), el("dd", { text: acc.meter || "—" }),
          el("dt", { text: "gateway" }), el("dd", { text: acc.gateway || "—" }),
          el("dt", { text: "tariff" }), el("dd", { text: acc.tariff ? (acc.tariff.id || acc.tariff) : "—" }),
          el("dt", { text: "last reading" }), el("dd", { text: last ? fmtTime(last.ts, true) + " · " + kwh3(last.import_wh) + " kWh" : "—" }),
          el("dt", { text: "alarm 1 / alarm 2" }), el("dd", { text: yuan(acc.alarm1_fen) + " / " + yuan(acc.alarm2_fen) + " ¥" }),
          el("dt", { text: "credit limit / reconnect" }), el("dd", { text: yuan(acc.credit_limit_fen) + " / " + yuan(acc.reconnect_fen) + " ¥" }),
          el("dt", { text: "charged this month" }), el("dd", { text: yuan(acc.month_charged_fen) + " ¥ (" + (acc.charge_month || "—") + ")" }))));
      const rc = el("section", { class: "card" }, el("h2", { text: "Register readings (kWh)" }));
      detail.append(rc);
      readingsChart(rc, readings.readings);
      if (admin) detail.append(el("section", { class: "card wide", id: "actions" }, el("h2", { text: "Actions (admin)" }), actions(acc)));
      const entries = ledger.entries.slice(-100).reverse();
      detail.append(el("section", { class: "card wide", id: "ledger" }, el("h2", { text: "Ledger (newest first)" }),
        table([{ h: "#", f: (e) => e.id }, { h: "time", f: (e) => fmtTime(e.ts, true) }, { h: "kind", f: (e) => e.kind },
               { h: "amount ¥", num: 1, f: (e) => money(e.amount_fen) }, { h: "balance after ¥", num: 1, f: (e) => money(e.balance_after_fen) },
               { h: "month", f: (e) => e.month }, { h: "reference / reason", f: (e) => [e.reference, e.reason].filter(Boolean).join(" · ") },
               { h: "by", f: (e) => e.by }], entries, "ledger")));
      detail.append(el("section", { class: "card wide", id: "bills" }, el("h2", { text: "Bills" }),
        bills.bills.length ? table([{ h: "month", f: (b) => b.month }, { h: "state", f: (b) => el("span", { class: "badge " + b.state, text: b.state }) },
               { h: "kWh", num: 1, f: (b) => kwh3(b.energy_wh) }, { h: "total ¥", num: 1, f: (b) => money(b.total_fen) },
               { h: "posted ¥", num: 1, f: (b) => (b.posted_fen === null ? "—" : money(b.posted_fen)) },
               { h: "flags", f: (b) => (b.flags || []).join(", ") }], bills.bills, "bill")
          : el("div", { class: "hint", text: "no bills yet" })));
      document.body.dataset.account = number;
    } catch (e) {
      detail.replaceChildren(el("div", { class: "hint", text: "cannot load " + number + ": " + e.message }));
    }
  }

  document.getElementById("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const q = document.getElementById("q").value.trim();
    if (q) search(q);
  });
  const want = new URLSearchParams(location.search).get("account");
  if (want) { document.getElementById("q").value = want; search(want); }
  MB.keepSession();
})();
