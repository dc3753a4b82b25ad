/* SPDX-License-Identifier: Apache-2.0 */
// Shared by the browser tests: Debian's /usr/bin/chromium driven by
// playwright-core (never a downloaded browser), the API with a token, the
// wall's number formats worked out independently (BigInt, no floats), and
// the layout check that no two texts overlap and no text is clipped.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";

export const URL = process.env.MB_URL, ADMIN = process.env.MB_ADMIN, OPER = process.env.MB_OPER;
export const GW = process.env.MB_GW, ART = process.env.MB_ARTIFACTS || "artifacts";
mkdirSync(ART, { recursive: true });

let failures = 0;
export async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    console.log(`ok - ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    failures++;
    console.log("not ok - " + name + "\n  " + String((e && e.stack) || e).split("\n").join("\n  "));
  }
}
export const failed = () => failures;

export async function api(path, token = OPER, opts = {}) {
  const r = await fetch(URL + path, Object.assign({ headers: { Authorization: "Bearer " + token,
    "Content-Type": "application/json" } }, opts));
  if (!r.ok) throw new Error(path + ": HTTP " + r.status + " " + (await r.text()));
  const type = r.headers.get("Content-Type") || "";
  return type.startsWith("application/json") ? r.json() : r.text();
}

export const ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
export function launch(udd, viewport) {
  return chromium.launchPersistentContext(udd, {
    executablePath: "/usr/bin/chromium", headless: true, args: ARGS,
    viewport: viewport || { width: 1920, height: 1080 }, deviceScaleFactor: 1,
  });
}

// Sign a page in with a token the way signin.js does, without typing.
export async function signInPage(page, token) {
  await page.goto(URL + "/signin.html");
  await page.evaluate(async (tok) => {
    const r = await fetch("/api/v1/session", { method: "POST", headers: { Authorization: "Bearer " + tok } });
    const b = await r.json();
    if (b.role === "display") localStorage.setItem("mb_display", tok);
    else { sessionStorage.setItem("mb_token", tok); sessionStorage.setItem("mb_role", b.role); }
  }, token);
}

// ---- the wall's formats, independently -------------------------------------
const group = (s) => s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
export function scaled(v, places) {
  const b = BigInt(v), neg = b < 0n, a = neg ? -b : b, p = 10n ** BigInt(places);
  const int = group((a / p).toString());
  return (neg ? "-" : "") + int + (places ? "." + (a % p).toString().padStart(places, "0") : "");
}
export const yuan = (fen) => scaled(fen, 2);
export const money = (fen) => (BigInt(fen) < 0n ? "-¥" : "¥") + yuan(BigInt(fen) < 0n ? -BigInt(fen) : fen);
// n (BigInt, >= 0) / 10^pow with one decimal, rounded half up
function oneDecimal(n, pow) {
  const tenths = (n * 10n + 5n * 10n ** BigInt(pow - 1)) / 10n ** BigInt(pow);
  return group((tenths / 10n).toString()) + "." + (tenths % 10n).toString();
}
// whole units (BigInt >= 0) in the wall's compact form
export function compact(n, lang, always) {
  const d = n.toString();
  if (d.length < (always ? 5 : 6)) return group(d);
  if (lang === "en") {
    const pow = d.length >= 13 ? 12 : d.length >= 10 ? 9 : d.length >= 7 ? 6 : 3;
    return oneDecimal(n, pow) + ["K", "M", "B", "T"][pow / 3 - 1];
  }
  const pow = d.length >= 13 ? 12 : d.length >= 9 ? 8 : 4;
  return oneDecimal(n, pow) + { 4: "万", 8: "亿", 12: "万亿" }[pow];
}
// the two texts the wall may show for a figure: as it is, and compacted
export function forms(kind, v, lang) {
  const b = BigInt(v), a = b < 0n ? -b : b, sign = b < 0n ? "-" : "";
  if (kind === "money") {
    const whole = a / 100n;
    const f = (always) => sign + "¥" + (whole.toString().length < (always ? 5 : 6) ? yuan(a) : compact(whole, lang, always));
    return [f(false), f(true)];
  }
  const whole = kind === "kwh" ? a / 1000n : a;
  return [sign + compact(whole, lang, false), sign + compact(whole, lang, true)];
}

// ---- layout ---------------------------------------------------------------
// Runs in the page.  Every line of text on the wall becomes a box: the em
// box of the line (its font size high, centred on the line's content area,
// so the font's own line gap does not count), and a figure's digits get a
// tenth of an em more on each side, so "534" beside "14" never reads as
// "53414".  Problems: two boxes of different texts that intersect; a box
// not inside an ancestor that clips (overflow other than visible), the
// panel it is drawn in, or the window; list text smaller than the size rule.
export function layoutProblems() {
  const out = [];
  const boxes = [];
  const walker = document.createTreeWalker(document.getElementById("wall"), NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const n = walker.currentNode;
    if (!n.textContent.trim()) continue;
    const e = n.parentElement;
    if (e.closest(".stale-banner") || e.closest(".u-legend")) continue;
    const fs = parseFloat(getComputedStyle(e).fontSize);
    const pad = e.classList.contains("num") ? 0.1 * fs : 0;
    const kpi = e.closest(".kpi");
    const range = document.createRange();
    range.selectNodeContents(n);
    for (const r of range.getClientRects()) {
      if (r.width < 0.5 || r.height < 0.5) continue;
      const mid = (r.top + r.bottom) / 2, h = Math.min(r.height, fs);
      boxes.push({ e, kpi, pad, text: n.textContent.trim().slice(0, 40), l: r.left, r: r.right,
                   t: mid - h / 2, b: mid + h / 2 });
    }
  }
  const name = (b) => JSON.stringify(b.text) + " in " + (b.e.closest("[data-w]")?.dataset.w || (b.e.closest(".bar") ? "bar" : "?"));
  for (const b of boxes) {
    if (b.l < -0.5 || b.t < -0.5 || b.r > innerWidth + 0.5 || b.b > innerHeight + 0.5) out.push("outside the window: " + name(b));
    for (let a = b.e; a && a !== document.body; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.overflowX === "visible" && cs.overflowY === "visible") continue;
      const ar = a.getBoundingClientRect();
      if (b.l < ar.left - 1.5 || b.r > ar.right + 1.5 || b.t < ar.top - 1.5 || b.b > ar.bottom + 1.5) {
        out.push("clipped by ." + (a.className || a.tagName) + ": " + name(b));
        break;
      }
    }
  }
  for (let i = 0; i < boxes.length; i++)
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.e === b.e) continue;
      // a figure's margin counts against everything but its own unit and label
      const m = a.kpi && a.kpi === b.kpi ? 0 : a.pad + b.pad;
      const w = Math.min(a.r, b.r) - Math.max(a.l, b.l) + m, h = Math.min(a.b, b.b) - Math.max(a.t, b.t);
      if (w > 0.5 && h > 0.5) out.push("overlap: " + name(a) + " and " + name(b));
    }
  // the size rule: list rows, tiles and month-end bars at --read
  for (const p of document.querySelectorAll(".panel")) {
    const u = parseFloat(p.style.getPropertyValue("--u"));
    const want = (p.classList.contains("dense") ? 30 : 42) * u;
    for (const e of p.querySelectorAll(".row, .tile, .pbar, .more")) {
      const f = parseFloat(getComputedStyle(e).fontSize);
      if (f < want - 0.5) out.push(`list text ${f.toFixed(1)} px < ${want.toFixed(1)} px: ${e.textContent.slice(0, 30)}`);
    }
  }
  return { problems: [...new Set(out)].slice(0, 20), boxes: boxes.length };
}

export { assert };
