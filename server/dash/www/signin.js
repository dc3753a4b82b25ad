/* SPDX-License-Identifier: Apache-2.0 */
// Sign-in: exchange the API token for the session cookie that unlocks the
// dashboard's files, keep the token in sessionStorage for API calls (it is
// never put in a URL), then open the page that was asked for.
"use strict";

function nextPage() {
  const next = new URLSearchParams(location.search).get("next");
  // only paths on this server: "/x", never "//host" or "http:"
  if (next && /^\/(?!\/)[A-Za-z0-9._\-\/?=&%]*$/.test(next)) return next;
  return null;
}

async function signIn(ev) {
  ev.preventDefault();
  const token = document.getElementById("token").value.trim();
  const err = document.getElementById("error");
  const button = document.getElementById("submit");
  err.textContent = "";
  button.disabled = true;
  try {
    const r = await fetch("/api/v1/session", {
      method: "POST",
      headers: { Authorization: "Bearer " + token },
      credentials: "same-origin",
    });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) {
      err.textContent = r.status === 403
        ? "This token may not use the dashboard (operator or admin tokens only)."
        : (body.error && body.error.message) || "Sign-in failed (" + r.status + ").";
      return;
    }
    sessionStorage.setItem("mb_token", token);
    sessionStorage.setItem("mb_role", body.role);
    sessionStorage.setItem("mb_name", body.name);
    const here = location.pathname;
    const next = nextPage();
    if (next) location.assign(next);
    else if (here === "/" || here === "/signin.html") location.assign("/wall.html");
    else location.reload(); // this URL, now served with the cookie
  } catch (e) {
    err.textContent = "Cannot reach the server: " + e.message;
  } finally {
    button.disabled = false;
  }
}

document.getElementById("signin").addEventListener("submit", signIn);
