// Shared by every page: JSON calls with the CSRF header, and logging out.
"use strict";
async function api(method, url, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (method !== "GET" && window.CSRF) headers["X-CSRF-Token"] = window.CSRF;
  // the reviewer's language for the reasons the desk gives (vi or en)
  headers["Accept-Language"] = localStorage.getItem("desk-language") || navigator.language || "vi";
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 401) { window.location = "/login"; throw new Error("log in"); }
  let data = null;
  if (response.status !== 204) { try { data = await response.json(); } catch (e) { data = null; } }
  return { status: response.status, data };
}
const logoutButton = document.getElementById("logout");
if (logoutButton) {
  logoutButton.addEventListener("click", async () => {
    await api("DELETE", "/api/session");
    window.location = "/login";
  });
}
