// The leads' dashboard: cards and tables from /api/dashboard/figures, charts drawn by the
// server as SVG; one batch or all, refreshed every minute.
"use strict";
const batchSelect = document.getElementById("batch");
const chosen = () => batchSelect.value;
const query = (extra = {}) => {
  const p = new URLSearchParams(extra);
  if (chosen()) p.set("batch", chosen());
  const s = p.toString();
  return s ? `?${s}` : "";
};

function duration(hours) {
  if (hours === null || hours === undefined) return "–";
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  return hours < 10 ? `${hours.toFixed(1)} h` : `${Math.round(hours)} h`;
}

function eta(e, unit) {
  const left = `${e.remaining.toLocaleString()} ${unit === "review" ? "fields" : "documents"} left`;
  if (e.remaining === 0) return { value: "done", note: `nothing ${unit === "review" ? "waiting" : "queued"}` };
  if (e.hours === null) return { value: "–", note: `${left}; no ${unit} in the last two weeks to take a rate from` };
  const r = e.rate;
  const days = r.hours_per_day < 20 ? ` · ≈ ${(e.hours / r.hours_per_day).toFixed(1)} days at ${r.hours_per_day} h a day` : "";
  return {
    value: duration(e.hours),
    note: `range ${duration(e.hours_low)}–${duration(e.hours_high)} of work${days}<br>` +
      `${left} at ${r.per_hour.toFixed(1)}/h, the rate of the last ${r.window_hours} working hours`,
  };
}

function card(title, value, note = "", cls = "") {
  return `<div class="card ${cls}"><div class="title">${title}</div><div class="value">${value}</div>` +
    (note ? `<div class="note">${note}</div>` : "") + "</div>";
}

const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function cards(s) {
  const d = s.documents, f = s.fields, p = eta(s.eta.processing, "processing"), r = eta(s.eta.review, "review");
  const decided24 = s.activity.slice(-24).reduce((n, h) => n + h.decisions, 0);
  const rate = f.automation_rate === null ? "–" : `${(f.automation_rate * 100).toFixed(1)}%`;
  document.getElementById("cards").innerHTML =
    card("Documents done", `${d.done.toLocaleString()} / ${d.total.toLocaleString()}`,
      `${d.loaded.toLocaleString()} loaded · ${d.failed.toLocaleString()} failed`) +
    card("In review", d.in_review.toLocaleString(), "charts waiting for a reviewer", d.in_review ? "warn" : "") +
    card("Queued", d.queued.toLocaleString(), `${s.pages.total.toLocaleString()} pages read so far`) +
    card("Automation rate", rate, `${f.auto_accepted.toLocaleString()} of ${f.total.toLocaleString()} fields`) +
    card("Fields waiting for review", f.waiting_for_review.toLocaleString(), `${decided24.toLocaleString()} decided in the last 24 h`) +
    card("ETA processing", p.value, p.note) +
    card("ETA review", r.value, r.note) +
    card("Failed", d.failed.toLocaleString(), d.failed ? "see the list below" : "none", d.failed ? "bad" : "");
}

async function chart(el) {
  const response = await fetch(`/api/dashboard/charts/${el.dataset.chart}.svg${query()}`,
    { credentials: "same-origin" });
  if (response.status === 401) { window.location = "/login"; return; }
  // The server escapes every text it puts into a chart.
  el.innerHTML = response.ok ? await response.text() : `<p class="stamp">chart unavailable (${response.status})</p>`;
}

function showAnswer(status, data) {
  const out = document.getElementById("retry-result");
  if (status !== 200 || !data) {
    out.className = "retry-result bad";
    out.textContent = `Retry refused: ${(data && data.error) || `HTTP ${status}`}`;
    return;
  }
  const n = (v) => (Array.isArray(v) ? v.length : v ?? 0);
  out.className = "retry-result good";
  out.textContent = `Retried ${n(data.retried)}: ${n(data.changed)} changed (processed again), ` +
    `${n(data.unchanged)} unchanged (replace the scan first), ${n(data.gone)} gone from the source`;
  refresh();
}

async function retry(batch, documentKey) {
  document.getElementById("retry-result").textContent = "Retrying…";
  const { status, data } = await api("POST", "/api/retry", { batch, document: documentKey });
  showAnswer(status, data);
}

function failures(list) {
  document.getElementById("failures-count").textContent = list.length ? `${list.length} document(s)` : "none";
  const body = document.querySelector("#failures tbody");
  body.innerHTML = "";
  for (const f of list) {
    const tr = document.createElement("tr");
    for (const c of [f.document, f.batch, f.reason, f.attempts, (f.failed_at || "").replace("T", " ")]) {
      const td = document.createElement("td"); td.textContent = c; tr.appendChild(td);
    }
    tr.firstChild.className = "doc";
    const td = document.createElement("td"), button = document.createElement("button");
    button.type = "button"; button.className = "retry"; button.textContent = "Retry";
    button.addEventListener("click", () => retry(f.batch, f.document));
    td.appendChild(button); tr.appendChild(td); body.appendChild(tr);
  }
  const all = document.getElementById("retry-batch");
  all.hidden = !(chosen() && list.length);
}

async function refresh() {
  const { status, data } = await api("GET", `/api/dashboard/figures${query()}`);
  if (status !== 200) { document.getElementById("updated").textContent = (data && data.error) || `HTTP ${status}`; return; }
  cards(data);
  failures(data.failures);
  document.getElementById("precision-panel").hidden = !data.measured_precision;
  await Promise.all([...document.querySelectorAll(".chart")]
    .filter((el) => !el.closest("[hidden]")).map(chart));
  document.getElementById("updated").textContent = `updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.loaded = "yes";
}

async function start() {
  const { data } = await api("GET", "/api/dashboard/batches");
  const wanted = new URLSearchParams(window.location.search).get("batch") || "";
  for (const b of data.batches) {
    const o = document.createElement("option");
    o.value = b.name; o.textContent = `${b.name} (${b.documents})`; batchSelect.appendChild(o);
  }
  batchSelect.value = wanted;
  batchSelect.addEventListener("change", () => {
    history.replaceState(null, "", chosen() ? `?batch=${encodeURIComponent(chosen())}` : location.pathname);
    refresh();
  });
  document.getElementById("retry-batch").addEventListener("click", () => retry(chosen(), null));
  for (const a of document.querySelectorAll("a[data-table]")) {
    a.addEventListener("click", () => { a.href = `/api/dashboard/tables/${a.dataset.table}.${a.dataset.fmt}${query()}`; });
  }
  await refresh();
  setInterval(refresh, 60000);
}
start();
