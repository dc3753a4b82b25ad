/* SPDX-License-Identifier: Apache-2.0 */
// Shared by every page: the credential, API calls, the language, and
// formatting.  Money is integer fen from the API and is formatted with
// string operations only: no floating point touches an amount, and nothing
// here ever parses money with parseFloat.
//
// Credentials: a person's token lives in sessionStorage (this tab only,
// gone when it closes).  A display token (a kiosk screen of the wall) lives
// in localStorage, so the screen signs in again by itself after a reboot;
// it can read the wall's figures and nothing else, and is revoked on the
// server (docs/dashboard.md, Kiosk screens).
"use strict";

const MB = (() => {
  const token = () => sessionStorage.getItem("mb_token") || localStorage.getItem("mb_display");
  const isDisplay = () => !sessionStorage.getItem("mb_token") && !!localStorage.getItem("mb_display");

  // Without a credential, go sign in and come back here.
  function requireToken() {
    if (token()) return true;
    location.replace("/signin.html?next=" + encodeURIComponent(location.pathname + location.search));
    return false;
  }

  let leaving = false; // several calls may fail at once: act on the first
  function signedOut() {
    if (leaving) return;
    leaving = true;
    if (isDisplay()) {
      // the screen's credential was revoked: forget it and say so
      localStorage.removeItem("mb_display");
      location.replace("/signin.html?revoked=1");
      return;
    }
    sessionStorage.clear();
    requireToken();
  }

  async function api(path, opts = {}) {
    const headers = Object.assign({ Authorization: "Bearer " + token() }, opts.headers || {});
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      opts = Object.assign({}, opts, { body: JSON.stringify(opts.json) });
      delete opts.json;
    }
    const r = await fetch(path, Object.assign({}, opts, { headers, credentials: "same-origin" }));
    if (r.status === 401) {
      signedOut();
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

  // ---- language ---------------------------------------------------------
  let lang = "zh-CN";
  let me = null;
  const t = (key, vars) => {
    const s = (I18N[lang] && I18N[lang][key]) || I18N["zh-CN"][key] || I18N.en[key] || key;
    return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k]))) : s;
  };
  function setLang(l) {
    lang = I18N[l] ? l : "zh-CN";
    document.documentElement.lang = lang;
  }
  // Who we are and which language to speak: ?lang= over the user's (or
  // display's) choice over the server's default.  Every page calls it first.
  async function start() {
    me = await api("/api/v1/me");
    setLang(new URLSearchParams(location.search).get("lang") || me.lang);
    for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
    for (const e of document.querySelectorAll("[data-tp]")) e.placeholder = t(e.dataset.tp);
    return me;
  }
  // A page's start: a credential (else to the sign-in page), who we are,
  // the language.  null when the page should not go on.
  async function boot() {
    if (!requireToken()) return null;
    try {
      return await start();
    } catch (e) {
      document.body.textContent = e.message;
      return null;
    }
  }
  // The person's own choice, kept on the server for their token.
  async function chooseLang(l) {
    await api("/api/v1/me", { method: "PUT", json: { lang: l } });
    const q = new URLSearchParams(location.search);
    q.delete("lang");
    location.search = q.toString();
  }

  // ---- regions ----------------------------------------------------------
  let regionNames = {};
  // data: an answer of GET /regions already fetched, else it is fetched
  async function loadRegions(data) {
    const r = data || (await api("/api/v1/regions"));
    regionNames = {};
    for (const x of r.regions) regionNames[x.code] = x;
  }
  // 朝阳区 in zh-CN, Chaoyang in en, the code when there is no name
  function region(code) {
    if (!code) return t("region.none");
    const n = regionNames[code];
    if (!n) return code;
    return (lang === "en" ? n.name_en || n.name : n.name || n.name_en) || code;
  }

  // ---- numbers ----------------------------------------------------------
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

  // Round a string of digits (an integer) to keep `keep` leading digits,
  // half up: ("319456", 3) -> "319"; ("31996", 3) -> "320".
  function roundDigits(d, keep) {
    if (d.length <= keep) return d;
    let head = d.slice(0, keep);
    if (d[keep] >= "5") head = String(BigInt(head) + 1n);
    return head;
  }
  // A non-negative integer (as a string of digits) divided by 10^pow with
  // one decimal, rounded half up: ("319456", 4) -> "31.9".
  function shift1(d, pow) {
    const r = roundDigits(d, d.length - pow + 1).padStart(2, "0");
    return group(r.slice(0, -1)) + "." + r.slice(-1);
  }

  // Compact form of a long integer for the wall: 31.9万 / 1.2亿 in zh-CN,
  // 319.5K / 1.2M in en; shorter numbers in full with separators.  `digits`
  // is the integer's decimal digits (whole yuan, whole kWh, a count).
  // `always` compacts from four digits on (12.3K / 1.2万), for a small box.
  function compactDigits(digits, neg, always) {
    const d = digits.replace(/^0+(?=\d)/, "");
    let s;
    if (d.length < (always ? 5 : 6)) s = group(d);
    else if (lang === "en") {
      const pow = d.length >= 13 ? 12 : d.length >= 10 ? 9 : d.length >= 7 ? 6 : 3;
      s = shift1(d, pow) + ["K", "M", "B", "T"][pow / 3 - 1];
    } else {
      const pow = d.length >= 13 ? 12 : d.length >= 9 ? 8 : 4;
      s = shift1(d, pow) + { 4: "万", 8: "亿", 12: "万亿" }[pow];
    }
    return (neg ? "-" : "") + s;
  }
  const intDigits = (v, places) => scaled(Math.abs(v), places, false).split(".")[0];

  // fen -> "1,234.56" (yuan); "¥1,234.56" with the sign
  const yuan = (fen) => scaled(fen, 2, true);
  const money = (fen) => (fen === null || fen === undefined ? "—" : (fen < 0 ? "-¥" : "¥") + yuan(Math.abs(fen)));
  // Wh -> "1,234" kWh, truncated to whole kWh (display only)
  const kwh = (wh) => (wh === null || wh === undefined ? "—" : (wh < 0 ? "-" : "") + group(intDigits(wh, 3)));
  // Wh -> "1,234.567" kWh exactly
  const kwh3 = (wh) => scaled(wh, 3, true);
  const int = (n) => (n === null || n === undefined ? "—" : (n < 0 ? "-" : "") + group(String(Math.abs(n))));
  // Compact forms for the wall's big figures: from six digits on (from
  // five with `always`); money below that keeps its fen.
  const cInt = (n, always) => (n === null || n === undefined ? "—" : compactDigits(String(Math.abs(n)), n < 0, always));
  const cKwh = (wh, always) => (wh === null || wh === undefined ? "—" : compactDigits(intDigits(wh, 3), wh < 0, always));
  const cMoney = (fen, always) => {
    if (fen === null || fen === undefined) return "—";
    const d = intDigits(fen, 2);
    return (fen < 0 ? "-¥" : "¥") + (d.length < (always ? 5 : 6) ? yuan(Math.abs(fen)) : compactDigits(d, false, always));
  };

  // "12.34" or "12" yuan typed by a person -> fen (integer) or null
  function parseYuan(s) {
    const m = /^\s*(\d{1,9})(?:\.(\d{1,2}))?\s*$/.exec(s);
    if (!m) return null;
    return parseInt(m[1] + (m[2] || "").padEnd(2, "0"), 10);
  }

  // ---- time -------------------------------------------------------------
  let zone;
  function setZone(z) { zone = z || undefined; }
  function fmtTime(ts, withDate) {
    if (ts === null || ts === undefined) return "—";
    const o = { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone };
    if (withDate) Object.assign(o, { year: "numeric", month: "2-digit", day: "2-digit" });
    return new Intl.DateTimeFormat("sv-SE", o).format(new Date(ts * 1000));
  }
  // seconds -> "3小时20分" / "3 h 20 min"
  function dur(s) {
    s = Math.max(0, Math.floor(s));
    if (s < 60) return t("dur.s", { n: s });
    const m = Math.floor(s / 60), h = Math.floor(m / 60), d = Math.floor(h / 24);
    if (m < 60) return t("dur.m", { n: m });
    if (h < 24) return m % 60 ? t("dur.hm", { h, m: m % 60 }) : t("dur.h", { n: h });
    return h % 24 ? t("dur.dh", { d, h: h % 24 }) : t("dur.d", { n: d });
  }

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || (k === "hidden" && !v)) continue;
      if (k === "class") e.className = v;
      else if (k === "text") e.textContent = v;
      else if (k.startsWith("data-") || ["title", "style", "for", "colspan", "list", "inputmode", "rel", "hidden"].includes(k))
        e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const k of kids) if (k !== null && k !== undefined && k !== false) e.append(k);
    return e;
  }

  return { token, isDisplay, requireToken, api, keepSession, signOut, start, boot, chooseLang, t,
           lang: () => lang, setLang, me: () => me, loadRegions, region, regionCodes: () => regionNames,
           scaled,
           yuan, money, kwh, kwh3, int, cInt, cKwh, cMoney, parseYuan, setZone, fmtTime, dur, el,
           role: () => (me ? me.role : sessionStorage.getItem("mb_role")),
           name: () => (me ? me.name : sessionStorage.getItem("mb_name")) };
})();
