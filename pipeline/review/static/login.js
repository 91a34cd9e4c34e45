"use strict";
document.getElementById("login-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const response = await fetch("/api/session", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: form.username.value, password: form.password.value }),
  });
  if (response.ok) { window.location = "/"; return; }
  const data = await response.json().catch(() => ({}));
  document.getElementById("login-error").textContent = data.error || "could not log in";
  form.password.select();
});
