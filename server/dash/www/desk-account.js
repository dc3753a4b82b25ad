/* SPDX-License-Identifier: Apache-2.0 */
// One account at the desk: balance and state, meter and thresholds, daily
// use, commands with their live status, events, the statement (a day's
// continuous deductions on one line), bills with their detail; and, for an
// admin, top-up with payment method and receipt, refund and adjustment
// with a reason, editing, account creation, and relay commands confirmed
// before they are sent.  Amounts are typed in yuan and turned into fen by
// string operations (MB.parseYuan); nothing here computes money.
"use strict";

const DeskAccount = (() => {
  const { el, t, api } = MB;
  const enc = encodeURIComponent;
  let opts, current = null, chart = null, polling = null, statementBefore = null;

  const money = (fen) => el("span", { class: fen < 0 ? "neg" : "", text: MB.money(fen) });
  const badge = (cls, text, k) => el("span", { class: "badge " + cls, text, "data-k": k });

  function table(cols, rows, key, onclick) {
    const tb = el("tbody");
    for (const r of rows) {
      const tr = el("tr", { "data-k": key, "data-id": String(r.id !== undefined ? r.id : r.month), class: onclick ? "click" : "" });
      for (const c of cols) {
        const v = c.f(r);
        tr.append(el("td", { class: c.num ? "num" : "" }, v instanceof Node ? v : String(v === null || v === undefined ? "" : v)));
      }
      if (onclick) tr.addEventListener("click", () => onclick(r));
      tb.append(tr);
    }
    return el("table", {}, el("thead", {}, el("tr", {}, ...cols.map((c) => el("th", { class: c.num ? "num" : "", text: c.h })))), tb);
  }
  const card = (title, id, wide, ...kids) => el("section", { class: "card" + (wide ? " wide" : ""), id }, el("h2", {}, title), ...kids);

  // ---- dialogs -----------------------------------------------------------
  const dlg = () => document.getElementById("dlg");
  // A form in the dialog: fields [label, input], a submit button; onsubmit
  // returns a message to show (error) or nothing to close.
  function dialog(title, fields, submitText, submitClass, onsubmit, extra) {
    const d = dlg();
    const msg = el("div", { class: "msg full" });
    const go = el("button", { type: "submit", class: submitClass || "", text: submitText, id: "dlg-go" });
    const cancel = el("button", { type: "button", class: "ghost", text: t("a.cancel"), id: "dlg-cancel" });
    const form = el("form", { method: "dialog" }, ...(extra || []));
    for (const [label, input] of fields) {
      if (label === null) { form.append(el("div", { class: "full" }, input)); continue; }
      if (input.id) form.append(el("label", { for: input.id, text: label }), input);
      else form.append(el("span", { text: label }), input);
    }
    form.append(msg, el("div", { class: "buttons" }, cancel, go));
    cancel.addEventListener("click", () => d.close());
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      go.disabled = true;
      try {
        const m = await onsubmit();
        if (m) { msg.className = "msg err full"; msg.textContent = m; } else d.close();
      } catch (e) {
        msg.className = "msg err full";
        msg.textContent = e.message;
      } finally {
        go.disabled = false;
      }
    });
    d.replaceChildren(el("h3", { text: title }), form);
    d.showModal();
    const first = form.querySelector("input, select");
    if (first) first.focus();
  }
  const input = (id, attrs) => el("input", Object.assign({ id }, attrs || {}));
  const select = (id, options, value) => el("select", { id },
    ...options.map(([v, text]) => el("option", { value: v, text, selected: v === value })));
  const ref = (p) => p + "-" + Date.now() + "-" + Array.from(crypto.getRandomValues(new Uint8Array(3)), (b) => b.toString(16).padStart(2, "0")).join("");

  let flash = null; // a message that outlives the re-render after a write
  function say(text, cls, link) {
    flash = { text, cls, link };
  }

  const METHODS = ["cash", "wechat", "alipay", "card", "transfer", "other"];
  function topup(acc) {
    const amount = input("topup-amount", { placeholder: "50.00", inputmode: "decimal" });
    const method = select("topup-method", METHODS.map((m) => [m, t("pay." + m)]), "cash");
    const reference = input("topup-ref", { value: ref("WEB") });
    dialog(t("a.topup") + " · " + acc.number + " " + acc.holder, [[t("f.amount"), amount], [t("f.method"), method],
      [t("f.reference"), reference]], t("a.topup"), "ok", async () => {
      const fen = MB.parseYuan(amount.value);
      if (!fen) return t("m.amount");
      // the payment method goes in the entry's reason: it is on the receipt
      const r = await api("/api/v1/accounts/" + enc(acc.number) + "/topups", { method: "POST",
        json: { amount_fen: fen, reference: reference.value.trim(), reason: t("pay." + method.value) } });
      say(r.duplicate ? t("m.topup.dup", { a: MB.money(fen) }) : t("m.topup.ok", { a: MB.money(fen), b: MB.money(r.entry.balance_after_fen) }),
          "ok", "/bill.html?account=" + enc(acc.number) + "&receipt=" + r.entry.id);
      await show(acc.number);
    });
  }

  function refund(acc) {
    const amount = input("refund-amount", { inputmode: "decimal" });
    const reason = input("refund-reason");
    const reference = input("refund-ref", { value: ref("RF") });
    const over = input("refund-over", { type: "checkbox" });
    const overRow = el("label", { class: "full", hidden: true }, over, " " + t("c.overbalance"));
    dialog(t("a.refund") + " · " + acc.number + " " + acc.holder, [[t("f.amount"), amount], [t("f.reason"), reason],
      [t("f.reference"), reference], [null, overRow]], t("a.refund"), "danger", async () => {
      const fen = MB.parseYuan(amount.value);
      if (!fen) return t("m.amount");
      if (!reason.value.trim()) return t("m.reason");
      const body = { amount_fen: fen, reason: reason.value.trim(), reference: reference.value.trim() };
      if (over.checked) body.over_balance = true;
      let r;
      try {
        r = await api("/api/v1/accounts/" + enc(acc.number) + "/refunds", { method: "POST", json: body });
      } catch (e) {
        // above the balance: refused unless the clerk says it is meant
        if (!e.body || !e.body.error || e.body.error.code !== "insufficient_balance") throw e;
        overRow.hidden = false;
        return t("c.over.msg", { b: MB.money(acc.balance_fen) });
      }
      say(t("m.refund.ok", { a: MB.money(fen), b: MB.money(r.entry.balance_after_fen) }), "ok",
          "/bill.html?account=" + enc(acc.number) + "&receipt=" + r.entry.id);
      await show(acc.number);
    });
  }

  function adjust(acc) {
    const amount = input("adjust-amount", { inputmode: "decimal" });
    const dir = select("adjust-dir", [["credit", t("f.credit")], ["debit", t("f.debit")]], "credit");
    const reason = input("adjust-reason");
    // one reference per dialog: sent again after an error (a 503 during a
    // failover), the adjustment is still posted once (docs/api.md, Retries)
    const reference = ref("AJ");
    dialog(t("a.adjust") + " · " + acc.number + " " + acc.holder, [[t("f.direction"), dir], [t("f.amount"), amount],
      [t("f.reason"), reason]], t("a.adjust"), "", async () => {
      const fen = MB.parseYuan(amount.value);
      if (!fen) return t("m.amount");
      if (!reason.value.trim()) return t("m.reason");
      const signed = dir.value === "debit" ? -fen : fen;
      const r = await api("/api/v1/accounts/" + enc(acc.number) + "/adjustments", { method: "POST",
        json: { amount_fen: signed, reason: reason.value.trim(), reference } });
      say(t("m.adjust.ok", { a: MB.money(signed), b: MB.money(r.entry.balance_after_fen) }), "ok");
      await show(acc.number);
    });
  }

  // the account's fields as a form; creating adds number, tariff and date
  function accountForm(acc, creating) {
    const f = {
      number: input("acc-number", { value: creating ? "" : acc.number }),
      holder: input("acc-holder", { value: acc ? acc.holder : "" }),
      address: input("acc-address", { value: acc ? acc.address : "" }),
      region: input("acc-region", { value: acc ? acc.region : "", list: "region-codes" }),
      mode: select("acc-mode", [["prepaid", t("mode.prepaid")], ["monthly", t("mode.monthly")]], acc ? acc.mode : "prepaid"),
      state: select("acc-state", ["active", "suspended", "closed"].map((s) => [s, t("state." + s)]), acc ? acc.state : "active"),
      protected: input("acc-protected", { type: "checkbox", checked: acc ? acc.protected : false }),
      alarm1: input("acc-alarm1", { value: acc ? MB.yuan(acc.alarm1_fen) : "" }),
      alarm2: input("acc-alarm2", { value: acc ? MB.yuan(acc.alarm2_fen) : "" }),
      credit: input("acc-credit", { value: acc ? MB.yuan(acc.credit_limit_fen) : "" }),
      reconnect: input("acc-reconnect", { value: acc ? MB.yuan(acc.reconnect_fen) : "" }),
      tariff: select("acc-tariff", [["", "—"], ...opts.tariffs.map((x) => [x.id, x.name || x.id])], ""),
      effective: input("acc-effective", { type: "date", value: new Date().toISOString().slice(0, 10) }),
    };
    const fields = [[t("f.number"), f.number], [t("f.holder"), f.holder], [t("f.address"), f.address],
      [t("f.region"), f.region], [t("f.mode"), f.mode]];
    if (!creating) fields.push([t("f.state"), f.state], [t("f.protected"), f.protected]);
    fields.push([t("d.alarm1"), f.alarm1], [t("d.alarm2"), f.alarm2], [t("d.credit"), f.credit], [t("d.reconnect"), f.reconnect]);
    if (creating) fields.push([t("f.tariff"), f.tariff], [t("f.effective"), f.effective]);
    if (!creating) f.number.disabled = true;
    return { f, fields };
  }
  // thresholds typed in yuan (may be negative for a credit limit) -> fen
  function fenOf(s) {
    const neg = /^\s*-/.test(s);
    const v = MB.parseYuan(s.replace(/^\s*-/, ""));
    return v === null ? null : neg ? -v : v;
  }
  function accountBody(f, creating) {
    // empty text is left out: the API takes 1 or more characters
    const b = { mode: f.mode.value };
    for (const k of ["holder", "address", "region"]) if (f[k].value.trim()) b[k] = f[k].value.trim();
    if (!creating) { b.state = f.state.value; b.protected = f.protected.checked; }
    for (const [k, inp] of [["alarm1_fen", f.alarm1], ["alarm2_fen", f.alarm2], ["credit_limit_fen", f.credit], ["reconnect_fen", f.reconnect]]) {
      if (!inp.value.trim()) continue;
      const v = fenOf(inp.value);
      if (v === null) return { error: t("m.amount") };
      b[k] = v;
    }
    return { body: b };
  }
  const regionList = () => el("datalist", { id: "region-codes" },
    ...Object.keys(MB.regionCodes()).map((c) => el("option", { value: c, text: MB.region(c) })));

  function edit(acc) {
    const { f, fields } = accountForm(acc, false);
    dialog(t("a.edit") + " · " + acc.number, fields, t("a.save"), "", async () => {
      const r = accountBody(f, false);
      if (r.error) return r.error;
      await api("/api/v1/accounts/" + enc(acc.number), { method: "PATCH", json: r.body });
      say(t("m.saved"), "ok");
      await show(acc.number);
      opts.refreshList();
    }, [regionList()]);
  }

  function create() {
    const { f, fields } = accountForm(null, true);
    dialog(t("d.new"), fields, t("a.create"), "ok", async () => {
      const number = f.number.value.trim();
      const r = accountBody(f, true);
      if (r.error) return r.error;
      await api("/api/v1/accounts", { method: "POST", json: Object.assign({ number }, r.body) });
      if (f.tariff.value)
        await api("/api/v1/accounts/" + enc(number) + "/tariff", { method: "PUT",
          json: { tariff: f.tariff.value, effective: f.effective.value } });
      say(t("m.created", { n: number }), "ok");
      await show(number);
      opts.refreshList();
    }, [regionList()]);
  }

  // A relay command: said in full, confirmed, then followed live.
  function command(acc, op) {
    const reason = input("cmd-reason");
    const opName = t("a." + op);
    dialog(opName, [[null, el("p", { class: "warn", text: t("cmd.confirm", { who: acc.holder + "（" + acc.number + "）", meter: acc.meter, op: opName }) +
      " " + t("cmd." + op + ".warn") })], [t("f.reason"), reason]], t("cmd.go", { op: opName }), op === "trip" ? "danger" : "ok", async () => {
      if (!reason.value.trim()) return t("m.reason");
      const r = await api("/api/v1/meters/" + enc(acc.meter) + "/commands", { method: "POST",
        json: { op, reason: reason.value.trim() } });
      say(t("cmd.sent", { id: r.id, op: opName }), "ok");
      await show(acc.number);
      follow(acc, r.id);
    });
  }

  const cmdState = (c) => (c.expired && c.state !== "done" && c.state !== "failed" ? "expired" : c.state);
  function commandsTable(list) {
    return table([{ h: "#", f: (c) => c.id }, { h: t("col.op"), f: (c) => t("a." + c.op) },
      { h: t("col.status"), f: (c) => el("span", { class: "badge " + cmdState(c), "data-k": "cmd-state", text: t("cmd." + cmdState(c)) }) },
      { h: t("col.time"), f: (c) => MB.fmtTime(c.updated_at, true) }, { h: t("col.reason"), f: (c) => c.reason },
      { h: t("col.by"), f: (c) => c.by }], list, "command");
  }
  // Poll the meter's commands until this one is done, failed or expired.
  function follow(acc, id) {
    clearInterval(polling);
    polling = setInterval(async () => {
      if (!current || current.number !== acc.number) { clearInterval(polling); return; }
      try {
        const r = await api("/api/v1/meters/" + enc(acc.meter) + "/commands");
        const box = document.getElementById("commands-body");
        if (box) box.replaceChildren(commandsTable(r.commands.slice(-8).reverse()));
        const c = r.commands.find((x) => x.id === id);
        if (!c || ["done", "failed", "expired"].includes(cmdState(c))) clearInterval(polling);
      } catch (e) { /* keep polling: the network may come back */ }
    }, 2000);
  }

  // ---- the account page ------------------------------------------------------
  function usageChart(box, bins) {
    if (chart) chart.destroy();
    chart = null;
    const holder = el("div", { class: "chart" });
    box.append(holder);
    const axis = { stroke: "#9fb0cc", grid: { stroke: "#1f2d4a" }, ticks: { stroke: "#1f2d4a" } };
    chart = new uPlot({ width: holder.clientWidth || 600, height: 240, legend: { show: false }, cursor: { show: false },
      scales: { x: { time: true, range: (u, lo, hi) => [lo - 43200, hi + 43200] }, y: { range: (u, lo, hi) => [0, hi > 0 ? hi * 1.1 : 1] } },
      axes: [Object.assign({}, axis, { values: (u, v) => v.map((x) => MB.fmtTime(x, true).slice(5, 10)) }), Object.assign({ size: 60 }, axis)],
      series: [{}, { stroke: "#4aa8ff", fill: "rgba(74,168,255,0.45)", paths: uPlot.paths.bars({ size: [0.7, 40] }), points: { show: false } }] },
      [bins.map((b) => b.t), bins.map((b) => b.energy_wh / 1000)], holder); // drawing only
  }

  const kindText = (e) => (e.kind === "charge_day" ? t("k.charge_day") + " · " + t("charges.n", { n: e.count }) : t("k." + e.kind));
  function statementRows(lines) {
    return table([{ h: t("col.time"), f: (e) => (e.kind === "charge_day" ? e.day : MB.fmtTime(e.ts, true)) },
      { h: t("col.kind"), f: (e) => el("span", { class: "badge " + e.kind, text: kindText(e) }) },
      { h: t("col.amount"), num: 1, f: (e) => money(e.amount_fen) }, { h: t("col.after"), num: 1, f: (e) => money(e.balance_after_fen) },
      { h: t("col.note"), f: (e) => [e.reason, e.reference, e.month].filter(Boolean).join(" · ") },
      { h: t("col.by"), f: (e) => e.by || "" },
      { h: "", f: (e) => (["topup", "refund", "adjustment"].includes(e.kind)
        ? el("a", { class: "link", href: "/bill.html?account=" + enc(current.number) + "&receipt=" + e.id, target: "_blank", rel: "opener", text: t("d.receipt") }) : "") }],
      lines, "ledger");
  }

  async function show(number) {
    clearInterval(polling);
    for (const h of document.querySelectorAll(".hit")) h.classList.toggle("sel", h.dataset.account === number);
    history.replaceState(null, "", "?account=" + enc(number));
    const detail = opts.detail;
    detail.replaceChildren(el("div", { class: "hint", text: t("d.loading") }));
    try {
      const n = enc(number);
      const [acc, st, bills, found] = await Promise.all([api("/api/v1/accounts/" + n), api("/api/v1/accounts/" + n + "/statement?limit=60"),
        api("/api/v1/accounts/" + n + "/bills"), api("/api/v1/desk/accounts?limit=1&q=" + n)]);
      const row = found.accounts.find((a) => a.number === number) || {};
      const m = acc.meter ? enc(acc.meter) : null;
      const [use, cmds, evs, readings] = m ? await Promise.all([api("/api/v1/stats/consumption?range=30d&meter=" + m),
        api("/api/v1/meters/" + m + "/commands"), api("/api/v1/events?limit=20&meter=" + m),
        api("/api/v1/meters/" + m + "/readings?limit=1")]) : [null, null, null, null];
      current = acc;
      statementBefore = st.more ? st.before : null;
      render(acc, row, st, bills, use, cmds, evs, readings);
      document.body.dataset.account = number;
      document.body.dataset.shown = String((+document.body.dataset.shown || 0) + 1);
    } catch (e) {
      detail.replaceChildren(el("div", { class: "hint", text: number + ": " + e.message }));
    }
  }

  function render(acc, row, st, bills, use, cmds, evs, readings) {
    const detail = opts.detail;
    const admin = opts.admin;
    const status = row.status || "";
    const msg = el("div", { class: "msg" + (flash ? " " + flash.cls : ""), id: "msg" }, flash ? flash.text : "",
      flash && flash.link ? el("a", { class: "link", href: flash.link, target: "_blank", rel: "opener", id: "receipt-link", text: t("m.receipt") }) : null);
    flash = null;
    const buttons = el("div", { class: "buttons" });
    const btn = (text, cls, fn, id) => { const b = el("button", { type: "button", class: cls, text, id }); b.addEventListener("click", fn); buttons.append(b); };
    if (admin) {
      btn(t("a.topup"), "ok", () => topup(acc), "do-topup");
      btn(t("a.refund"), "ghost", () => refund(acc), "do-refund");
      btn(t("a.adjust"), "ghost", () => adjust(acc), "do-adjust");
      btn(t("a.edit"), "ghost", () => edit(acc), "do-edit");
      if (acc.meter) {
        btn(t("a.trip"), "danger", () => command(acc, "trip"), "do-trip");
        btn(t("a.close"), "ok", () => command(acc, "close"), "do-close");
        btn(acc.protected ? t("a.unprotect") : t("a.protect"), "ghost", () => command(acc, acc.protected ? "unprotect" : "protect"), "do-protect");
      }
      buttons.append(...DeskClerk.buttons(acc, opts.gateways || [], { dialog, say, show, refreshList: opts.refreshList }));
    }
    detail.replaceChildren(card(t("d.accounts"), "summary", true,
      el("div", { class: "summary" },
        el("div", {}, el("div", { class: "name", text: acc.number + " · " + (acc.holder || "") }),
          el("div", { class: "hint", text: [acc.address, MB.region(acc.region), t("mode." + acc.mode), t("state." + acc.state)].filter(Boolean).join(" · ") })),
        el("div", { class: "big", "data-k": "balance", "data-v": String(acc.balance_fen) }, money(acc.balance_fen)),
        status ? badge(status, t("st." + status), "status") : null,
        acc.protected ? badge("protected", t("st.protected")) : null,
        row.offline ? badge("offline", t("d.offline")) : null),
      buttons, msg));
    const last = readings && readings.readings.length ? readings.readings[readings.readings.length - 1] : null;
    detail.append(card(t("d.thresholds"), "meter", false, el("dl", { class: "kv" },
      el("dt", { text: t("d.meter") }), el("dd", { text: acc.meter || "—" }),
      el("dt", { text: t("d.gateway") }), el("dd", { text: acc.gateway || "—" }),
      el("dt", { text: t("d.tariff") }), el("dd", { text: acc.tariff || "—" }),
      el("dt", { text: t("d.last") }), el("dd", { text: last ? MB.fmtTime(last.ts, true) + " · " + MB.kwh3(last.import_wh) + " kWh" : "—" }),
      el("dt", { text: t("d.alarm1") + " / " + t("d.alarm2") }), el("dd", { text: MB.money(acc.alarm1_fen) + " / " + MB.money(acc.alarm2_fen) }),
      el("dt", { text: t("d.credit") + " / " + t("d.reconnect") }), el("dd", { text: MB.money(acc.credit_limit_fen) + " / " + MB.money(acc.reconnect_fen) }),
      el("dt", { text: t("d.charged") }), el("dd", { text: MB.money(acc.month_charged_fen) + " (" + (acc.charge_month || "—") + ")" }))));
    const u = card(t("d.usage"), "usage", false);
    if (use) {
      u.querySelector("h2").append(el("span", { class: "aside", "data-k": "usage.total",
        "data-v": String(use.bins.reduce((s, b) => s + b.energy_wh, 0)), text: MB.kwh3(use.bins.reduce((s, b) => s + b.energy_wh, 0)) + " kWh" }));
      detail.append(u);
      usageChart(u, use.bins);
    } else {
      u.append(el("div", { class: "hint", text: "—" }));
      detail.append(u);
    }
    if (cmds) {
      detail.append(card(t("d.commands"), "commands", false, el("div", { id: "commands-body" },
        cmds.commands.length ? commandsTable(cmds.commands.slice(-8).reverse()) : el("div", { class: "hint", text: t("d.nocommands") }))));
      const open = cmds.commands.filter((c) => ["pending", "delivered"].includes(cmdState(c)));
      if (open.length) follow(acc, open[open.length - 1].id);
    }
    if (evs) detail.append(card(t("d.events"), "events", false, evs.events.length
      ? table([{ h: t("col.time"), f: (e) => MB.fmtTime(e.ts, true) }, { h: t("col.kind"), f: (e) => t("ev." + e.type) },
               { h: t("col.note"), f: (e) => e.reason || "" }], evs.events, "event")
      : el("div", { class: "hint", text: t("d.noevents") })));
    const billsCard = card(t("d.bills"), "bills", !evs, bills.bills.length
      ? table([{ h: t("col.month"), f: (b) => b.month }, { h: t("col.state"), f: (b) => el("span", { class: "badge " + b.state, text: t("bill." + b.state) }) },
               { h: t("col.energy"), num: 1, f: (b) => MB.kwh3(b.energy_wh) }, { h: t("col.total"), num: 1, f: (b) => (b.total_fen === null ? "—" : money(b.total_fen)) },
               { h: t("col.flags"), f: (b) => (b.flags || []).map((f) => t("fl." + f)).join("、") }],
              bills.bills.slice().reverse(), "bill", (b) => billDetail(acc, b.month))
      : el("div", { class: "hint", text: t("d.nobills") }));
    detail.append(billsCard);
    const stCard = card(t("d.statement"), "ledger", true, el("div", { id: "statement" }, statementRows(st.lines)));
    if (statementBefore) {
      const more = el("button", { type: "button", class: "ghost", text: t("d.more"), id: "statement-more" });
      more.addEventListener("click", async () => {
        const r = await api("/api/v1/accounts/" + enc(acc.number) + "/statement?limit=60&before=" + statementBefore);
        statementBefore = r.more ? r.before : null;
        document.querySelector("#statement tbody").append(...statementRows(r.lines).querySelectorAll("tbody tr"));
        if (!statementBefore) more.remove();
      });
      stCard.append(more);
    }
    detail.append(stCard);
  }

  // A bill's detail: tier lines and the comparison with earlier months,
  // and the printable bill (bill.html, A4 or A5).
  async function billDetail(acc, month) {
    const b = await api("/api/v1/accounts/" + enc(acc.number) + "/bills/" + month);
    const old = document.getElementById("bill-detail");
    if (old) old.remove();
    const print = (size) => el("a", { class: "link", target: "_blank", rel: "opener", id: "print-" + size,
      href: "/bill.html?account=" + enc(acc.number) + "&month=" + month + "&size=" + size, text: t("b.print." + size) });
    const c = card(t("b.detail") + " · " + month, "bill-detail", true,
      el("div", { class: "buttons" }, print("a4"), print("a5")),
      BillView.lines(b), BillView.pieces(b), BillView.compare(b));
    document.getElementById("bills").after(c);
    c.scrollIntoView({ block: "nearest" });
  }

  return { init: (o) => { opts = o; }, show, create };
})();
