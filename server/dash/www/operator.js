/* SPDX-License-Identifier: Apache-2.0 */
// The operator desk: accounts listed by what needs doing (cut off, in
// alarm, in arrears, protected, offline; by region and tariff), an
// account's page (desk-account.js) and the wall's screens
// (desk-displays.js).  Every figure comes from the documented API.
"use strict";

(async () => {
  const { el, t, api } = MB;
  const me = await MB.boot();
  if (!me) return;
  if (me.display) { location.replace("/wall.html"); return; }
  document.title = t("brand") + " · " + t("desk");
  const admin = me.role === "admin";
  const $ = (id) => document.getElementById(id);
  $("who").textContent = me.name + " · " + me.role;
  $("signout").addEventListener("click", MB.signOut);
  $("lang").textContent = t("lang.switch");
  $("lang").addEventListener("click", () => MB.chooseLang(MB.lang() === "en" ? "zh-CN" : "en"));
  await MB.loadRegions().catch(() => {});

  // ---- tabs -------------------------------------------------------------
  function tab(name) {
    for (const b of document.querySelectorAll("#tabs button")) b.classList.toggle("on", b.dataset.tab === name);
    $("side").hidden = name !== "accounts";
    $("detail").hidden = name !== "accounts";
    $("displays").hidden = name !== "displays";
    $("layout").style.gridTemplateColumns = name === "accounts" ? "" : "1fr";
    if (name === "displays") DeskDisplays.show($("displays"), admin);
    $("areas").hidden = name !== "areas";
    if (name === "areas") DeskAreas.show($("areas"), admin);
    $("gateways").hidden = name !== "gateways";
    if (name === "gateways") DeskGateways.show($("gateways"));
  }
  for (const b of document.querySelectorAll("#tabs button")) b.addEventListener("click", () => tab(b.dataset.tab));

  // ---- filters ------------------------------------------------------------
  const STATUSES = ["all", "cut", "alarm", "arrears", "protected", "offline"];
  const statusLabel = (s) => (s === "all" ? t("d.all") : s === "alarm" ? t("st.alarm") : t("st." + s));
  for (const s of STATUSES)
    $("status").append(el("label", {}, el("input", { type: "radio", name: "status", value: s, checked: s === "all" }),
                          statusLabel(s)));
  const regions = await api("/api/v1/regions").catch(() => ({ regions: [] }));
  $("region").append(el("option", { value: "", text: t("d.region") + " " + t("d.any") }),
    ...regions.regions.map((r) => el("option", { value: r.code, text: MB.region(r.code) + " · " + r.code })));
  const tariffs = await api("/api/v1/tariffs").catch(() => ({ tariffs: [] }));
  $("tariff").append(el("option", { value: "", text: t("d.tariff") + " " + t("d.any") }),
    ...tariffs.tariffs.map((x) => el("option", { value: x.id, text: x.name || x.id })));

  const PAGE = 50;
  let offset = 0;
  const params = () => {
    const q = new URLSearchParams();
    q.set("status", document.querySelector('input[name="status"]:checked').value);
    for (const k of ["region", "tariff", "q"]) if ($(k).value.trim()) q.set(k, $(k).value.trim());
    q.set("limit", PAGE);
    q.set("offset", offset);
    return q;
  };

  const hit = (a) => {
    const div = el("div", { class: "hit", "data-k": "hit", "data-account": a.number },
      el("div", { class: "top" }, el("span", { text: a.number + " · " + (a.holder || "") }),
         el("span", { class: a.balance_fen < 0 ? "neg" : "", text: MB.money(a.balance_fen) })),
      el("div", { class: "sub" }, el("span", { class: "badge " + a.status, text: t("st." + a.status) }),
         a.offline ? el("span", { class: "badge offline", text: t("d.offline") }) : null,
         el("span", { text: MB.region(a.region) }), a.meter ? el("span", { text: a.meter }) : null));
    div.addEventListener("click", () => DeskAccount.show(a.number));
    return div;
  };

  async function list() {
    $("results").replaceChildren(el("div", { class: "hint", text: t("d.loading") }));
    try {
      const r = await api("/api/v1/desk/accounts?" + params());
      $("results").replaceChildren(...r.accounts.map(hit));
      if (!r.accounts.length) $("results").append(el("div", { class: "hint", text: t("d.none") }));
      $("count").textContent = t("d.count", { n: MB.int(r.total) });
      $("count").dataset.total = String(r.total);
      $("page").textContent = r.total ? t("d.page", { a: MB.int(offset + 1), b: MB.int(offset + r.accounts.length) }) : "";
      $("prev").disabled = offset === 0;
      $("next").disabled = offset + r.accounts.length >= r.total;
      document.body.dataset.listed = String((+document.body.dataset.listed || 0) + 1);
      if (r.total === 1 && $("q").value.trim()) DeskAccount.show(r.accounts[0].number);
    } catch (e) {
      $("results").replaceChildren(el("div", { class: "hint", text: e.message }));
    }
  }
  $("filters").addEventListener("submit", (ev) => { ev.preventDefault(); offset = 0; list(); });
  for (const id of ["region", "tariff"]) $(id).addEventListener("change", () => { offset = 0; list(); });
  $("status").addEventListener("change", () => { offset = 0; list(); });
  $("prev").addEventListener("click", () => { offset = Math.max(0, offset - PAGE); list(); });
  $("next").addEventListener("click", () => { offset += PAGE; list(); });

  const gateways = await api("/api/v1/gateways").catch(() => ({ gateways: [] }));
  DeskAccount.init({ admin, detail: $("detail"), tariffs: tariffs.tariffs, gateways: gateways.gateways, refreshList: list });
  if (admin) {
    $("new-account").hidden = false;
    $("new-account").addEventListener("click", () => DeskAccount.create());
  }
  const want = new URLSearchParams(location.search).get("account");
  list();
  if (want) DeskAccount.show(want);
  MB.keepSession();
})();
