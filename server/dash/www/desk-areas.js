/* SPDX-License-Identifier: Apache-2.0 */
// Transformer areas at the desk (docs/dashboard.md, "Transformer areas at
// the desk"): every area's line loss on a day, out of band first; collection
// success by region and by area, lowest first; an area's members by the size
// of their change against their own week (the meter behind a loss first)
// and its last 30 days; CSV of both; and, for an admin, a new area and where
// a meter stands from a date.  Every figure is the API's, formatted from its
// integers by string work.
"use strict";

i18nAdd({
  "zh-CN": {
    "d.areas": "台区线损", "da.day": "日期", "da.show": "查看", "da.csv.loss": "导出线损 CSV",
    "da.csv.collection": "导出采集 CSV", "da.ranking": "台区线损（超限在前）",
    "da.collection": "采集成功率（最低在前）", "da.code": "台区编号", "da.name": "名称", "da.state": "结论",
    "da.rate": "线损率", "da.supply": "供电量 kWh", "da.sales": "售电量 kWh", "da.loss": "损失电量 kWh",
    "da.meters": "电表（已采）", "da.note": "说明", "da.region": "区域", "da.expected": "应采",
    "da.collected": "已采", "da.share": "成功率", "da.missing": "未采电表", "da.none": "尚未设置台区",
    "da.members": "{name} · {date} 各户变化（最大在前）", "da.meter": "电表", "da.holder": "户名",
    "da.account": "户号", "da.energy": "当日 kWh", "da.baseline": "平日 kWh", "da.change": "变化 kWh",
    "da.days": "近 30 天线损", "da.date": "日期", "da.main": "总表", "da.suspect": "疑似 {who}",
    "da.st.out_of_band": "超限", "da.st.not_computable": "无法计算", "da.st.ok": "合格",
    "da.st.no_history": "无历史", "da.st.missing": "缺读数", "da.st.backwards": "示数倒走",
    "da.why.missing_reading": "缺读数：{m}", "da.why.not_yet": "读数未到", "da.why.no_main_meter": "无总表",
    "da.why.register_backwards": "示数倒走", "da.why.no_supply": "总表无电量", "da.why.out_of_range": "数值越界",
    "da.new": "新建台区", "da.create": "创建", "da.place": "电表入台区 / 换台区", "da.area": "台区编号",
    "da.role.member": "户表", "da.role.main": "总表", "da.effective": "生效日期", "da.assign": "保存",
    "da.saved": "已保存：{m} 自 {d} 起在 {a}（{r}）", "da.created": "已创建台区 {a}",
  },
  en: {
    "d.areas": "Line loss", "da.day": "Day", "da.show": "Show", "da.csv.loss": "Line loss CSV",
    "da.csv.collection": "Collection CSV", "da.ranking": "Line loss by area, out of band first",
    "da.collection": "Collection success, lowest first", "da.code": "Area", "da.name": "Name",
    "da.state": "Verdict", "da.rate": "Loss rate", "da.supply": "Supply kWh", "da.sales": "Sales kWh",
    "da.loss": "Loss kWh", "da.meters": "Meters (collected)", "da.note": "Note", "da.region": "Region",
    "da.expected": "Expected", "da.collected": "Collected", "da.share": "Share", "da.missing": "Not collected",
    "da.none": "no areas set up", "da.members": "{name} · {date}: members by change, biggest first",
    "da.meter": "Meter", "da.holder": "Holder", "da.account": "Account", "da.energy": "Day kWh",
    "da.baseline": "Usual kWh", "da.change": "Change kWh", "da.days": "Last 30 days", "da.date": "Date",
    "da.main": "main meter", "da.suspect": "suspect {who}",
    "da.st.out_of_band": "out of band", "da.st.not_computable": "not computable", "da.st.ok": "in band",
    "da.st.no_history": "no history", "da.st.missing": "missing", "da.st.backwards": "register backwards",
    "da.why.missing_reading": "missing: {m}", "da.why.not_yet": "readings not in yet",
    "da.why.no_main_meter": "no main meter", "da.why.register_backwards": "register backwards",
    "da.why.no_supply": "no supply", "da.why.out_of_range": "out of range",
    "da.new": "New area", "da.create": "Create", "da.place": "Place a meter in an area", "da.area": "Area",
    "da.role.member": "member", "da.role.main": "main meter", "da.effective": "Effective", "da.assign": "Save",
    "da.saved": "saved: {m} stands in {a} ({r}) from {d}", "da.created": "area {a} created",
  },
});

const DeskAreas = (() => {
  const { el, t, api } = MB;
  let box, admin, dayInput, detail;

  const pct = (bp) => (bp === null || bp === undefined ? "—" : MB.scaled(bp, 2) + "%");
  const kwh = (wh) => (wh === null || wh === undefined ? "—" : MB.scaled(wh, 3, true));
  const who = (m) => m.holder || m.account || m.meter;
  const badge = (state) => el("span", { class: "badge " + state, text: t("da.st." + state) });
  const table = (heads, rows) =>
    el("table", {}, el("thead", {}, el("tr", {}, ...heads.map((k) => el("th", { text: t(k) })))), el("tbody", {}, ...rows));
  const note = (a) => (a.state === "not_computable"
    ? t("da.why." + a.reason, { m: a.missing.map((x) => x.meter).join(" ") })
    : a.suspect ? t("da.suspect", { who: who(a.suspect) + " " + kwh(a.suspect.change_wh) }) : "");

  async function show(container, isAdmin) {
    box = container;
    admin = isAdmin;
    if (!dayInput) {
      dayInput = el("input", { type: "date", id: "area-day" }); // empty: the server's yesterday
      detail = el("div", { id: "area-detail" });
    }
    await draw();
  }

  // a CSV of the 30 days up to the chosen day, downloaded with the token
  async function csv(kind) {
    const text = await api(`/api/v1/exports/${kind}.csv?to=${dayInput.value}&bom=1`);
    const a = el("a", { href: URL.createObjectURL(new Blob([text], { type: "text/csv" })),
                        download: `meterbox-${kind}-${dayInput.value}.csv` });
    document.body.append(a);
    a.click();
    a.remove();
  }

  async function draw() {
    const q = dayInput.value ? "?day=" + dayInput.value : "";
    const [r, c] = await Promise.all([api("/api/v1/stats/areas" + q), api("/api/v1/stats/collection" + q)]);
    const day = (dayInput.value = r.date);
    const go = el("button", { type: "submit", text: t("da.show") });
    const form = el("form", { class: "row" }, el("label", { text: t("da.day") }), dayInput, go,
      el("button", { type: "button", class: "ghost", id: "csv-loss", text: t("da.csv.loss"), onclick: () => csv("line-loss") }),
      el("button", { type: "button", class: "ghost", id: "csv-collection", text: t("da.csv.collection"),
                     onclick: () => csv("collection") }));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); detail.replaceChildren(); draw(); });
    const rows = r.areas.map((a) => {
      const tr = el("tr", { class: "pick", "data-k": "desk-area", "data-code": a.code, "data-state": a.state },
        el("td", { text: a.code }), el("td", { text: a.name }), el("td", {}, badge(a.state)),
        el("td", { class: "num", text: pct(a.rate_bp) }), el("td", { class: "num", text: kwh(a.supply_wh) }),
        el("td", { class: "num", text: kwh(a.sales_wh) }), el("td", { class: "num", text: kwh(a.loss_wh) }),
        el("td", { text: MB.int(a.meters) + " (" + MB.int(a.collected) + ")" }), el("td", { text: note(a) }));
      tr.addEventListener("click", () => area(a.code, day));
      return tr;
    });
    if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: "9", class: "hint", text: t("da.none") })));
    const ranking = el("section", { class: "card", id: "area-ranking" },
      el("h2", {}, el("span", { text: t("da.ranking") }), el("span", { class: "aside", text: r.date })),
      form, table(["da.code", "da.name", "da.state", "da.rate", "da.supply", "da.sales", "da.loss", "da.meters", "da.note"], rows));
    const collect = [...c.regions.map((x) => ({ x, code: x.region, name: MB.region(x.region), k: "region" })),
                     ...c.areas.filter((x) => x.expected).map((x) => ({ x, code: x.code, name: x.name, k: "area" }))]
      .sort((p, q) => p.x.rate_bp - q.x.rate_bp || p.code.localeCompare(q.code))
      .map(({ x, code, name, k }) => el("tr", { "data-k": "desk-collection", "data-code": code, "data-kind": k },
        el("td", { text: code }), el("td", { text: name || "" }), el("td", { class: "num", text: MB.int(x.expected) }),
        el("td", { class: "num", text: MB.int(x.collected) }), el("td", { class: "num", text: pct(x.rate_bp) }),
        el("td", { text: (x.missing || []).join(" ") })));
    const collection = el("section", { class: "card", id: "area-collection" },
      el("h2", {}, el("span", { text: t("da.collection") }),
         el("span", { class: "aside", "data-k": "desk-collection-rate", text: c.date + " · " + pct(c.rate_bp) })),
      table(["da.code", "da.name", "da.expected", "da.collected", "da.share", "da.missing"], collect));
    box.replaceChildren(ranking, detail, collection, ...(admin ? [newArea(), placeMeter()] : []));
  }

  async function area(code, day) {
    const [m, l] = await Promise.all([api(`/api/v1/stats/areas/${encodeURIComponent(code)}/members?day=${day}`),
                                      api(`/api/v1/areas/${encodeURIComponent(code)}/loss?to=${day}`)]);
    for (const tr of box.querySelectorAll("tr.pick")) tr.classList.toggle("sel", tr.dataset.code === code);
    const row = (x) => el("tr", { "data-k": "desk-member", "data-meter": x.meter, "data-state": x.state },
      el("td", { text: x.role === "main" ? x.meter + " · " + t("da.main") : x.meter }), el("td", { text: x.holder || "" }),
      el("td", { text: x.account || "" }), el("td", {}, x.state === "ok" ? null : badge(x.state)),
      el("td", { class: "num", text: kwh(x.energy_wh) }), el("td", { class: "num", text: kwh(x.baseline_wh) }),
      el("td", { class: "num" + (x.change_wh < 0 ? " neg" : ""), text: kwh(x.change_wh) }));
    const days = l.days.slice().reverse().map((d) => el("tr", { "data-k": "desk-day", "data-date": d.date },
      el("td", { text: d.date }), el("td", {}, badge(d.state)), el("td", { class: "num", text: pct(d.rate_bp) }),
      el("td", { class: "num", text: kwh(d.supply_wh) }), el("td", { class: "num", text: kwh(d.sales_wh) }),
      el("td", { text: note(d) })));
    detail.replaceChildren(
      el("section", { class: "card", id: "area-members" },
        el("h2", {}, el("span", { text: t("da.members", { name: m.name || m.area, date: m.date }) }),
           el("span", { class: "aside", text: pct(m.loss.rate_bp) })),
        table(["da.meter", "da.holder", "da.account", "da.state", "da.energy", "da.baseline", "da.change"],
              [...m.main.map(row), ...m.members.map(row)])),
      el("section", { class: "card", id: "area-days" }, el("h2", { text: t("da.days") }),
        table(["da.date", "da.state", "da.rate", "da.supply", "da.sales", "da.note"], days)));
    document.body.dataset.area = code;
  }

  // an admin's two forms: a new area; a meter placed in an area from a date
  function form(id, title, fields, submit, act) {
    const out = el("div", { class: "msg" });
    const f = el("form", { class: "row", id }, ...fields, el("button", { type: "submit", text: t(submit) }));
    f.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        out.className = "msg ok";
        out.textContent = await act();
      } catch (e) {
        out.className = "msg err";
        out.textContent = e.message;
      }
    });
    return el("section", { class: "card" }, el("h2", { text: t(title) }), f, out);
  }
  function newArea() {
    const code = el("input", { name: "code", placeholder: "TQ-0001", required: true });
    const name = el("input", { name: "name", placeholder: t("da.name") });
    const region = el("input", { name: "region", placeholder: "110105" });
    return form("area-new", "da.new", [code, name, region], "da.create", async () => {
      const body = { code: code.value.trim() };
      if (name.value.trim()) body.name = name.value.trim();
      if (region.value.trim()) body.region = region.value.trim();
      const a = await api("/api/v1/areas", { method: "POST", json: body });
      draw();
      return t("da.created", { a: a.code });
    });
  }
  function placeMeter() {
    const meter = el("input", { name: "meter", placeholder: t("da.meter"), required: true });
    const area = el("input", { name: "area", placeholder: t("da.area"), required: true });
    const role = el("select", { name: "role" }, el("option", { value: "member", text: t("da.role.member") }),
                    el("option", { value: "main", text: t("da.role.main") }));
    const eff = el("input", { name: "effective", type: "date", required: true });
    return form("area-place", "da.place", [meter, area, role, eff], "da.assign", async () => {
      const r = await api(`/api/v1/meters/${encodeURIComponent(meter.value.trim())}/area`, { method: "PUT",
        json: { area: area.value.trim(), role: role.value, effective: eff.value } });
      return t("da.saved", { m: r.meter, a: r.area, r: t("da.role." + r.role), d: r.effective });
    });
  }

  return { show };
})();
