/* SPDX-License-Identifier: Apache-2.0 */
// The wall's kiosk screens at the desk: which are enrolled, when each last
// refreshed; an admin enrols one (its token is shown once, with the address
// that enrols its screen), changes its layout or language, or revokes it.
"use strict";

const DeskDisplays = (() => {
  const { el, t, api } = MB;
  let box, admin;

  async function show(container, isAdmin) {
    box = container;
    admin = isAdmin;
    const r = await api("/api/v1/displays");
    const now = Date.now() / 1000;
    const rows = r.displays.map((d) => {
      const tr = el("tr", { "data-k": "display", "data-name": d.name },
        el("td", { text: d.name }), el("td", { text: d.layout || "" }), el("td", { text: d.lang || t("disp.default") }),
        el("td", { text: d.last_seen ? t("disp.ago", { d: MB.dur(now - d.last_seen) }) : t("disp.never") }),
        el("td", { text: d.revoked ? t("disp.revoked") : "" }), el("td"));
      if (admin && !d.revoked) {
        const b = el("button", { type: "button", class: "danger", text: t("disp.revoke") });
        b.addEventListener("click", async () => {
          if (!confirm(t("disp.revoke.confirm", { n: d.name }))) return;
          await api("/api/v1/displays/" + encodeURIComponent(d.name), { method: "DELETE" });
          show(box, admin);
        });
        tr.lastChild.append(b);
      }
      return tr;
    });
    const table = el("table", {}, el("thead", {}, el("tr", {}, ...["disp.name", "disp.layout", "disp.lang", "disp.seen", "", ""]
      .map((k) => el("th", { text: k ? t(k) : "" })))), el("tbody", {}, ...rows));
    const parts = [el("section", { class: "card" }, el("h2", { text: t("d.displays") }), table)];
    if (admin) parts.push(enrolCard());
    box.replaceChildren(...parts);
  }

  function enrolCard() {
    const name = el("input", { id: "disp-name", placeholder: "wall-p1" });
    const layout = el("input", { id: "disp-layout", placeholder: "grid=2x2&panel=1" });
    const lang = el("select", { id: "disp-lang" }, el("option", { value: "", text: t("disp.default") }),
      el("option", { value: "zh-CN", text: "中文" }), el("option", { value: "en", text: "English" }));
    const out = el("div", { class: "msg" });
    const go = el("button", { type: "submit", text: t("disp.add") });
    const form = el("form", { class: "row" }, name, layout, lang, go);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      try {
        const body = { name: name.value.trim() };
        if (layout.value.trim()) body.layout = layout.value.trim();
        if (lang.value) body.lang = lang.value;
        const d = await api("/api/v1/displays", { method: "POST", json: body });
        await show(box, admin);
        box.append(el("section", { class: "card", id: "enrolled" }, el("h2", { text: d.name }),
          el("p", { text: t("disp.token") }), el("div", { class: "token", id: "disp-token", text: d.token }),
          el("p", { text: t("disp.enrol") }), el("div", { class: "token", text: location.origin + "/signin.html#enrol=" + d.token })));
      } catch (e) {
        out.className = "msg err";
        out.textContent = e.message;
      }
    });
    return el("section", { class: "card" }, el("h2", { text: t("disp.add") }), form, out);
  }

  return { show };
})();
