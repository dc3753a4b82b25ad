/* SPDX-License-Identifier: Apache-2.0 */
// Shared by the wall and the operator view: API calls with the bearer token
// from sessionStorage, and formatting.  Money is integer fen from the API
// and is formatted with string operations only: no floating point touches
// an amount, and nothing here ever parses money with parseFloat.
"use strict";

const MB = (() => {
  const token = () => sessionStorage.getItem("mb_token");

  // Without a token in this tab, go sign in and come back here.
  function requireToken() {
    if (token()) return true;
    location.replace("/signin.html?next=" + encodeURIComponent(location.pathname + location.search));
    return false;
  }

  async function api(path, opts = {}) {
    const headers = Object.assign({ Authorization: "Bearer " + token() }, opts.headers || {});
    const r = await fetch(path, Object.assign({}, opts, { headers, credentials: "same-origin" }));
    if (r.status === 401) {
      sessionStorage.clear();
      requireToken();
      throw new Error("signed out");
    }
    const type = r.headers.get("Content-Type") || "";
    const body = type.startsWith("application/json") ? await r.json() : await r.text();
    if (!r.ok) {
      const e = new Error((body && body.error && body.error.message) || "HTTP " + r.status);
      e.status = r.status;
      e.body = body;
      throw e;
    }
    return body;
  }

  // Keep the asset cookie alive while the page runs (the wall runs for days).
  function keepSession() {
    setInterval(() => api("/api/v1/session", { method: "POST" }).catch(() => {}), 3600 * 1000);
  }

  async function signOut() {
    await api("/api/v1/session", { method: "DELETE" }).catch(() => {});
    sessionStorage.clear();
    location.assign("/");
  }

  // Thousands separators on a string of digits.
  const group = (digits) => digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");

  // An integer as "d...d.dd" with `places` decimals: pure string work.
  function scaled(v, places, sep) {
    if (v === null || v === undefined) return "—";
    if (!Number.isSafeInteger(v)) return "?";
    const neg = v < 0;
    const s = String(Math.abs(v)).padStart(places + 1, "0");
    const int = s.slice(0, s.length - places), dec = s.slice(s.length - places);
    return (neg ? "-" : "") + (sep ? group(int) : int) + (places ? "." + dec : "");
  }

  // fen -> "1,234.56" (yuan)
  const yuan = (fen) => scaled(fen, 2, true);
  // Wh -> "1,234" kWh, truncated to whole kWh (display only)
  const kwh = (wh) => (wh === null || wh === undefined ? "—" : group(scaled(wh, 3, false).split(".")[0]));
  // Wh -> "1,234.567" kWh exactly
  const kwh3 = (wh) => scaled(wh, 3, true);
  const int = (n) => (n === null || n === undefined ? "—" : group(String(n)));

  // "12.34" or "12" yuan typed by a person -> fen (integer) or null
  function parseYuan(s) {
    const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(s);
    if (!m) return null;
    return parseInt(m[1] + (m[2] || "").padEnd(2, "0"), 10);
  }

  let zone;
  function setZone(z) { zone = z || undefined; }
  function fmtTime(ts, withDate) {
    if (ts === null || ts === undefined) return "—";
    const o = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone };
    if (withDate) Object.assign(o, { year: "numeric", month: "2-digit", day: "2-digit" });
    return new Intl.DateTimeFormat("sv-SE", o).format(new Date(ts * 1000));
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const k of kids) if (k !== null && k !== undefined) e.append(k);
    return e;
  }

  return { token, requireToken, api, keepSession, signOut, yuan, kwh, kwh3, int, parseYuan,
           setZone, fmtTime, el, role: () => sessionStorage.getItem("mb_role"),
           name: () => sessionStorage.getItem("mb_name") };
})();
