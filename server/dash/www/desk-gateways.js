/* SPDX-License-Identifier: Apache-2.0 */
// The gateways that need a visit at the desk, as the wall lists them
// (GET /stats/gateways?state=attention, docs/api.md): offline ones first,
// then those whose uplink is failing, then those whose 4G signal is weak,
// each with what its last upload said of its link.
"use strict";

const DeskGateways = (() => {
  const { el, t, api } = MB;

  function status(g) {
    if (!g.online) return g.silent_s === null ? t("offline.never") : t("offline.for", { d: MB.dur(g.silent_s) });
    const u = g.uplink;
    if (u.health === "failing") return u.state === "failed" ? t("uplink.state.failed") : t("uplink.failing");
    return t("uplink.weak", { p: u.signal_pct });
  }

  function row(g) {
    const u = g.uplink || {};
    const health = !g.online ? "offline" : u.health;
    return el("tr", { "data-k": "gateway", "data-gateway": g.name, "data-health": health,
                      class: health === "weak" ? "warn" : "bad" },
      el("td", { text: g.name }), el("td", { text: MB.region(g.region) }), el("td", { text: status(g) }),
      el("td", { class: "num", text: u.signal_pct === undefined ? "—" : u.signal_pct + "%" }),
      el("td", { text: [u.operator, u.technology && u.technology.toUpperCase()].filter(Boolean).join(" · ") || "—" }),
      el("td", { text: u.interface || "—" }),
      el("td", { class: "num", text: u.retries ? MB.int(u.retries) : "" }),
      el("td", { class: "num", text: MB.int(g.meters) }));
  }

  async function show(container) {
    const r = await api("/api/v1/stats/gateways?state=attention&limit=1000");
    const NUM = new Set([3, 6, 7]); // signal, retries, meters: right-aligned
    const head = ["d.gateway", "d.region", "col.state", "gw.signal", "gw.network", "gw.interface", "gw.retries", "d.meter"];
    const aside = [t("offline.n", { n: MB.int(r.offline), total: MB.int(r.total) }),
                   t("uplink.failing.n", { n: MB.int(r.uplink_failing) }), t("uplink.weak.n", { n: MB.int(r.uplink_weak) })];
    const body = r.gateways.length
      ? el("table", { id: "gw-attention" }, el("thead", {}, el("tr", {}, ...head.map((k, i) => el("th", { class: NUM.has(i) ? "num" : null, text: t(k) })))),
           el("tbody", {}, ...r.gateways.map(row)))
      : el("p", { class: "hint", text: t("attention.none") });
    container.replaceChildren(el("section", { class: "card" },
      el("h2", {}, el("span", { text: t("w.offline") }), el("span", { class: "aside", text: aside.join(" · ") })),
      body, el("p", { class: "hint", text: t("gw.rule", { p: r.uplink_weak_below }) })));
  }

  return { show };
})();
