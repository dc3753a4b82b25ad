/* SPDX-License-Identifier: Apache-2.0 */
// The clerk's account and meter events at the desk (docs/api.md, "Account
// and meter events"): move-in, move-out, change of holder (过户), meter
// exchange (换表) and a fix for a register that went backwards.  Registers
// are typed in kWh with up to three decimals and become Wh by string
// operations; left empty, the server uses the meter's reading.
"use strict";

const DeskClerk = (() => {
  const { el, t, api } = MB;
  const enc = encodeURIComponent;

  // "1234.5" kWh -> 1234500 Wh, "" -> undefined, anything else -> null
  function wh(s) {
    s = s.trim();
    if (!s) return undefined;
    const m = /^(\d{1,12})(?:\.(\d{1,3}))?$/.exec(s);
    return m ? parseInt(m[1] + (m[2] || "").padEnd(3, "0"), 10) : null;
  }
  const input = (id, attrs) => el("input", Object.assign({ id }, attrs || {}));
  const reg = (id) => input(id, { inputmode: "decimal", placeholder: t("c.reading") });
  // the body with the registers that were typed; an error text, or null
  function registers(body, fields) {
    for (const [key, inp] of fields) {
      const v = wh(inp.value);
      if (v === null) return t("c.badreg");
      if (v !== undefined) body[key] = v;
    }
    return null;
  }
  const after = (r) => t("c.after", { state: t("state." + r.state), b: MB.money(r.balance_fen) }) +
    (r.refundable_fen ? " · " + t("c.refundable", { a: MB.money(r.refundable_fen) }) : "") +
    (r.owed_fen ? " · " + t("c.owed", { a: MB.money(r.owed_fen) }) : "");

  // buttons for the account page; ui: {dialog, say, show, refreshList}
  function buttons(acc, gateways, ui) {
    const out = [];
    const b = (key, id, fn) => {
      const e = el("button", { type: "button", class: "ghost", text: t(key), id });
      e.addEventListener("click", fn);
      out.push(e);
    };
    if (!acc.meter && acc.state !== "closed") b("c.movein", "do-movein", () => moveIn(acc, gateways, ui));
    if (acc.meter) {
      b("c.moveout", "do-moveout", () => moveOut(acc, ui));
      b("c.transfer", "do-transfer", () => transfer(acc, ui));
      b("c.exchange", "do-exchange", () => exchange(acc, gateways, ui));
      b("c.fix", "do-fix", () => fix(acc, ui));
    }
    return out;
  }

  function moveIn(acc, gateways, ui) {
    const meter = input("mi-meter", { placeholder: "000000000001" });
    const gw = el("select", { id: "mi-gateway" }, ...gateways.map((g) => el("option", { value: g.name, text: g.name + " · " + MB.region(g.region) })));
    const opening = reg("mi-opening");
    ui.dialog(t("c.movein") + " · " + acc.number, [[t("d.meter"), meter], [t("d.gateway"), gw], [t("c.opening"), opening]],
      t("c.movein"), "ok", async () => {
        const body = { meter: meter.value.trim(), gateway: gw.value };
        const err = registers(body, [["opening_wh", opening]]);
        if (err) return err;
        const r = await api("/api/v1/accounts/" + enc(acc.number) + "/move-in", { method: "POST", json: body });
        ui.say(t("c.movein.ok", { m: body.meter }) + " · " + after(r), "ok");
        await ui.show(acc.number);
        ui.refreshList();
      });
  }

  function moveOut(acc, ui) {
    const fin = reg("mo-final");
    ui.dialog(t("c.moveout") + " · " + acc.number + " " + acc.holder,
      [[null, el("p", { class: "warn", text: t("c.moveout.warn") })], [t("c.final"), fin]], t("c.moveout"), "danger", async () => {
        const body = {};
        const err = registers(body, [["final_wh", fin]]);
        if (err) return err;
        const r = await api("/api/v1/accounts/" + enc(acc.number) + "/move-out", { method: "POST", json: body });
        ui.say(t("c.moveout.ok") + " · " + after(r), "ok");
        await ui.show(acc.number);
        ui.refreshList();
      });
  }

  // 过户: the new holder's account is created here, then the meter moves
  function transfer(acc, ui) {
    const to = input("tr-to");
    const holder = input("tr-holder");
    const fin = reg("tr-final");
    ui.dialog(t("c.transfer") + " · " + acc.number + " " + acc.holder,
      [[null, el("p", { class: "warn", text: t("c.transfer.warn") })], [t("c.to"), to], [t("c.newholder"), holder], [t("c.final"), fin]],
      t("c.transfer"), "ok", async () => {
        const number = to.value.trim();
        if (!number || !holder.value.trim()) return t("c.need");
        const body = { to: number };
        const err = registers(body, [["final_wh", fin]]);
        if (err) return err;
        const exists = await api("/api/v1/accounts/" + enc(number)).catch(() => null);
        if (!exists)
          await api("/api/v1/accounts", { method: "POST", json: Object.assign({ number, holder: holder.value.trim(), mode: acc.mode },
            acc.address ? { address: acc.address } : {}, acc.region ? { region: acc.region } : {}) });
        const r = await api("/api/v1/accounts/" + enc(acc.number) + "/transfer", { method: "POST", json: body });
        ui.say(t("c.transfer.ok", { n: number }) + " · " + acc.number + ": " + after(r), "ok");
        await ui.show(number);
        ui.refreshList();
      });
  }

  function exchange(acc, gateways, ui) {
    const nm = input("ex-new", { placeholder: "000000000002" });
    const fin = reg("ex-final");
    const init = reg("ex-initial");
    ui.dialog(t("c.exchange") + " · " + acc.meter, [[t("c.newmeter"), nm], [t("c.final"), fin], [t("c.initial"), init]],
      t("c.exchange"), "ok", async () => {
        const body = { new_meter: nm.value.trim() };
        const err = registers(body, [["final_wh", fin], ["initial_wh", init]]);
        if (err) return err;
        await api("/api/v1/meters/" + enc(acc.meter) + "/exchange", { method: "POST", json: body });
        ui.say(t("c.exchange.ok", { a: acc.meter, b: body.new_meter }), "ok");
        await ui.show(acc.number);
      });
  }

  function fix(acc, ui) {
    const seq = input("fx-seq", { inputmode: "numeric" });
    const as = el("select", { id: "fx-as" }, ...["rollover", "exchange", "exclude"].map((a) => el("option", { value: a, text: t("c.as." + a) })));
    const fin = reg("fx-final");
    const init = reg("fx-initial");
    const reason = input("fx-reason");
    ui.dialog(t("c.fix") + " · " + acc.meter, [[null, el("p", { class: "warn", text: t("c.fix.warn") })], [t("c.seq"), seq],
      [t("c.as"), as], [t("c.final"), fin], [t("c.initial"), init], [t("f.reason"), reason]], t("c.fix"), "", async () => {
        if (!/^\d+$/.test(seq.value.trim())) return t("c.need");
        if (!reason.value.trim()) return t("m.reason");
        const body = { seq: parseInt(seq.value.trim(), 10), as: as.value, reason: reason.value.trim() };
        const err = registers(body, [["final_wh", fin], ["initial_wh", init]]);
        if (err) return err;
        const r = await api("/api/v1/meters/" + enc(acc.meter) + "/fixes", { method: "POST", json: body });
        ui.say(t("c.fix.ok", { s: r.seq, as: t("c.as." + r.as) }), "ok");
        await ui.show(acc.number);
      });
  }

  return { buttons, wh };
})();
