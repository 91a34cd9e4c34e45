// Admins: add a user, disable or enable one, reset a password; the server audits each change.
"use strict";
const result = document.getElementById("users-result");
function say(status, data, done) {
  result.className = `retry-result ${status < 300 ? "good" : "bad"}`;
  result.textContent = status < 300 ? done : (data && data.error) || `HTTP ${status}`;
  if (status < 300) setTimeout(() => window.location.reload(), 800);
}
for (const row of document.querySelectorAll("#users tr[data-user]")) {
  const name = row.dataset.user;
  const toggle = row.querySelector(".toggle");
  if (toggle) {
    toggle.addEventListener("click", async () => {
      const active = toggle.dataset.active === "true";
      const { status, data } = await api("POST", `/api/users/${encodeURIComponent(name)}/active`, { active });
      say(status, data, `${name} is ${active ? "enabled" : "disabled"}`);
    });
  }
  row.querySelector(".reset").addEventListener("click", async () => {
    const password = row.querySelector(".password").value;
    const { status, data } = await api("POST", `/api/users/${encodeURIComponent(name)}/password`, { password });
    say(status, data, `${name}'s password is reset; their sessions are ended`);
  });
}
document.getElementById("add-user").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  const { status, data } = await api("POST", "/api/users", Object.fromEntries(form));
  say(status, data, `${form.get("username")} is added`);
});
