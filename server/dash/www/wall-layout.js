/* SPDX-License-Identifier: Apache-2.0 */
// Where the wall's widgets go: which physical panels this window shows, the
// rectangle of each panel on the desktop, and how each panel's widgets are
// arranged.  Pure arithmetic on the parameters (docs/dashboard.md, Wall
// layouts):
//
//   grid=CxR     the wall's panels, C across and R down (default 1x1)
//   panel=I      this window is panel I only (1-based, row by row); without
//                it the window is one desktop spanning the whole grid (a
//                splicing processor's 3840x2160 for 2x2, 5760x1080 for 3x1)
//   bezel=PX     desktop pixels hidden at each seam between two panels
//                (bezel compensation); nothing is drawn there
//   pN=a,b,c     the widgets of panel N, in order (default: see DEFAULTS)
//   refresh=S    seconds between updates, 5-3600 (default 30)
//   lang=en      the language of this screen
//   panel=I&of=N the older form: grid=Nx1&panel=I
"use strict";

const WallLayout = (() => {
  const KIND = Object.assign({ fleet: "kpi", accounts: "kpi", money: "kpi", regions: "list", offline: "list",
                 events: "list", anomalies: "list", monthend: "list", c24: "chart", c30: "chart" },
                 ...(window.WallWidgets || []).map((m) => m.kinds)); // wall-areas.js and the like
  const ALL = ["fleet", "accounts", "money", "regions", "offline", "events", "anomalies", "monthend", "c24", "c30"];
  // Default widgets per panel, by the number of panels.  Attention first:
  // the lists that name what needs doing get whole panels on a big wall.
  const DEFAULTS = {
    1: [["fleet", "accounts", "money", "regions", "offline", "anomalies", "events", "monthend", "c24"]],
    2: [["fleet", "accounts", "money", "regions", "offline"], ["events", "anomalies", "monthend", "c24", "c30"]],
    3: [["fleet", "accounts", "money"], ["regions", "offline", "c24", "c30"], ["events", "anomalies", "monthend"]],
    4: [["fleet", "accounts", "money"], ["regions", "offline"], ["c24", "c30", "monthend"], ["events", "anomalies"]],
  };
  const clamp = (v, lo, hi, d) => {
    const n = parseInt(v, 10);
    return Number.isFinite(n) ? Math.min(hi, Math.max(lo, n)) : d;
  };

  // Parameters from the display's stored layout, overridden by the URL's.
  function params(stored, search) {
    const p = new URLSearchParams(stored || "");
    for (const [k, v] of new URLSearchParams(search || "")) p.set(k, v);
    const g = /^([1-6])x([1-6])$/.exec(p.get("grid") || "");
    let cols = g ? +g[1] : 1, rows = g ? +g[2] : 1;
    if (!g && p.get("of")) { cols = clamp(p.get("of"), 1, 9, 1); rows = 1; }
    const n = cols * rows;
    const panel = p.get("panel") ? clamp(p.get("panel"), 1, n, 1) : 0;
    const widgets = [];
    for (let i = 1; i <= n; i++) {
      const want = (p.get("p" + i) || "").split(",").filter((w) => KIND[w]);
      widgets.push(want.length ? want : defaults(n)[i - 1]);
    }
    return { cols, rows, n, panel, widgets, bezel: clamp(p.get("bezel"), 0, 400, 0),
             refresh: clamp(p.get("refresh"), 5, 3600, 30), lang: p.get("lang") };
  }

  function defaults(n) {
    if (DEFAULTS[n]) return DEFAULTS[n];
    const out = [];
    for (let i = 0; i < n; i++) out.push(ALL.slice(Math.floor((i * ALL.length) / n), Math.floor(((i + 1) * ALL.length) / n)));
    return out.map((w) => (w.length ? w : ["events"]));
  }

  // The panels this window draws, each {index, x, y, w, h} in CSS pixels.
  function panels(lp, width, height) {
    if (lp.panel) return [{ index: lp.panel, x: 0, y: 0, w: width, h: height }];
    const pw = (width - (lp.cols - 1) * lp.bezel) / lp.cols;
    const ph = (height - (lp.rows - 1) * lp.bezel) / lp.rows;
    const out = [];
    for (let r = 0; r < lp.rows; r++)
      for (let c = 0; c < lp.cols; c++)
        out.push({ index: r * lp.cols + c + 1, x: Math.round(c * (pw + lp.bezel)), y: Math.round(r * (ph + lp.bezel)),
                   w: Math.floor(pw), h: Math.floor(ph) });
    return out;
  }

  // How a panel's widgets fill it: CSS grid columns, rows and each
  // widget's area ("row / col / span").
  function arrange(ws) {
    const n = ws.length, kpi = ws.map((w) => KIND[w] === "kpi");
    let cols, rows;
    if (n <= 3 && kpi.every(Boolean)) { cols = 1; rows = n; }
    else if (n <= 3) { cols = n; rows = 1; }
    else if (n === 4) { cols = 2; rows = 2; }
    else if (n <= 6) { cols = 3; rows = 2; }
    else { cols = 3; rows = Math.ceil(n / 3); }
    const areas = ws.map((w, i) => ({ row: Math.floor(i / cols) + 1, col: (i % cols) + 1, span: 1 }));
    // the last widget takes the cells left empty in its row
    const last = areas[n - 1];
    last.span = cols - last.col + 1;
    // a row of figures only needs less height than a row of lists
    const rowKpi = (r) => areas.every((a, i) => a.row !== r || kpi[i]);
    const tracks = [];
    for (let r = 1; r <= rows; r++) tracks.push(rows > 1 && rowKpi(r) ? "0.62fr" : "1fr");
    return { cols: "repeat(" + cols + ", minmax(0, 1fr))", rows: tracks.map((t) => "minmax(0, " + t + ")").join(" "),
             areas, dense: n > 6 };
  }

  return { KIND, ALL, params, panels, arrange };
})();
