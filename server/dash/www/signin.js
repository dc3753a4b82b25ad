/* SPDX-License-Identifier: Apache-2.0 */
// Sign-in: exchange an API token for the session cookie that unlocks the
// dashboard's files, keep the token for API calls (never in a URL), then
// open the page that was asked for.
//
// A display token (a kiosk screen, docs/dashboard.md) is kept in
// localStorage: after a reboot the wall's URL lands here while the cookie
// has expired, and this page signs in again with it, typing nothing.  It is
// enrolled once per screen, by typing it here or by opening
// /signin.html#enrol=TOKEN (a fragment never reaches the server or its logs).
"use strict";

let lang = localStorage.getItem("mb_lang") || "zh-CN";
const t = (key, vars) => {
  const s = (I18N[lang] && I18N[lang][key]) || I18N["zh-CN"][key] || key;
  return vars ? s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined ? m : String(vars[k]))) : s;
};
const $ = (id) => document.getElementById(id);

function render() {
  document.documentElement.lang = lang;
  document.title = t("brand") + " · " + t("signin");
  for (const e of document.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  $("lang").textContent = t("lang.switch");
}

function nextPage() {
  const next = new URLSearchParams(location.search).get("next");
  // only paths on this server: "/x", never "//host" or "http:"
  if (next && /^\/(?!\/)[A-Za-z0-9._\-\/?=&%,]*$/.test(next)) return next;
  return null;
}

function say(text, revoked) {
  $("error").textContent = text;
  document.body.classList.toggle("revoked", !!revoked);
}

// auto: the screen's own stored display token (no one is typing)
async function signIn(token, auto) {
  const button = $("submit");
  say("");
  button.disabled = true;
  try {
    const r = await fetch("/api/v1/session", {
      method: "POST",
      headers: { Authorization: "Bearer " + token },
      credentials: "same-origin",
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      if (auto && r.status === 401) {
        localStorage.removeItem("mb_display");
        say(t("signin.revoked"), true);
      } else {
        say(r.status === 403 ? t("signin.gateway")
          : t("signin.failed", { msg: (body.error && body.error.message) || r.status }));
      }
      return;
    }
    if (body.role === "display") {
      localStorage.setItem("mb_display", token);
      sessionStorage.removeItem("mb_token");
    } else {
      sessionStorage.setItem("mb_token", token);
      sessionStorage.setItem("mb_role", body.role);
      sessionStorage.setItem("mb_name", body.name);
    }
    const here = location.pathname;
    const next = nextPage();
    if (next) location.assign(next);
    else if (here === "/" || here === "/signin.html") location.assign(body.role === "display" || body.role === "operator" ? "/wall.html" : "/operator.html");
    else location.reload(); // this URL, now served with the cookie
  } catch (e) {
    say(t("signin.unreachable", { msg: e.message }));
    // a kiosk whose server is down keeps trying
    if (auto) setTimeout(() => signIn(token, true), 15000);
  } finally {
    button.disabled = false;
  }
}

async function main() {
  if (!localStorage.getItem("mb_lang")) {
    // the server's default language (dashboard.language)
    const d = await fetch("/lang.json").then((r) => r.json()).catch(() => ({}));
    if (d.default_lang && I18N[d.default_lang]) lang = d.default_lang;
  }
  render();
  $("lang").addEventListener("click", () => {
    lang = lang === "en" ? "zh-CN" : "en";
    localStorage.setItem("mb_lang", lang);
    render();
  });
  $("signin").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn($("token").value.trim(), false);
  });
  const enrol = /^#enrol=([A-Za-z0-9_]+)$/.exec(location.hash);
  const q = new URLSearchParams(location.search);
  if (enrol) {
    history.replaceState(null, "", location.pathname + location.search);
    say(t("signin.enrolling"));
    signIn(enrol[1], false);
  } else if (q.get("revoked")) {
    say(t("signin.revoked"), true);
  } else if (localStorage.getItem("mb_display")) {
    say(t("signin.resuming"));
    signIn(localStorage.getItem("mb_display"), true);
  }
}

main();
