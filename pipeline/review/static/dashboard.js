// Progress at a glance for leads: refreshed every 10 seconds.
"use strict";
const COLOURS = { loaded: "#2e7d32", in_review: "#f9a825", queued: "#90a4ae", failed: "#c62828",
  duplicate: "#6d4c41", auto_accepted: "#2e7d32", waiting_for_review: "#f9a825", decided_by_reviewers: "#1565c0" };

function bar(svg, legend, parts) {
  const total = parts.reduce((s, [, n]) => s + n, 0) || 1;
  svg.innerHTML = ""; legend.innerHTML = ""; let x = 0;
  for (const [name, n] of parts) {
    const w = (n / total) * 100;
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("x", `${x}%`); rect.setAttribute("width", `${w}%`);
    rect.setAttribute("height", "100%"); rect.setAttribute("fill", COLOURS[name] || "#555");
    svg.appendChild(rect); x += w;
    const item = document.createElement("span");
    item.innerHTML = `<i style="background:${COLOURS[name] || "#555"}"></i>${name.replaceAll("_", " ")}: ${n}`;
    legend.appendChild(item);
  }
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const h = Math.floor(seconds / 3600), m = Math.round((seconds % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min`;
}

function card(title, value) { return `<div class="card"><div class="title">${title}</div><div class="value">${value}</div></div>`; }

async function refresh() {
  const [{ data: s }, { data: r }] = await Promise.all([api("GET", "/api/status"), api("GET", "/api/reviewers")]);
  const d = s.documents, f = s.fields;
  const done = d.loaded + d.in_review + d.failed + (d.duplicate || 0);
  document.getElementById("cards").innerHTML =
    card("Documents done", `${done} / ${d.total}`) +
    card("Loaded into the EMR", d.loaded) +
    card("Automation rate", f.automation_rate === null ? "–" : `${(f.automation_rate * 100).toFixed(1)}%`) +
    card("Fields waiting for review", f.waiting_for_review) +
    card("Reviewed in the last hour", s.review.decided_last_hour) +
    card("ETA review", duration(s.eta_seconds.review)) +
    card("ETA processing", d.queued ? duration(s.eta_seconds.processing) : "done");
  bar(document.getElementById("states"), document.getElementById("legend"),
    ["loaded", "in_review", "queued", "failed", "duplicate"].map((k) => [k, d[k] || 0]));
  bar(document.getElementById("fields"), document.getElementById("fields-legend"),
    ["auto_accepted", "decided_by_reviewers", "waiting_for_review"].map((k) => [k, f[k]]));
  const rows = (id, list, cells) => {
    const body = document.querySelector(`#${id} tbody`); body.innerHTML = "";
    for (const row of list) {
      const tr = document.createElement("tr");
      for (const c of cells(row)) { const td = document.createElement("td"); td.textContent = c; tr.appendChild(td); }
      body.appendChild(tr);
    }
  };
  rows("reviewers", r.reviewers, (x) => [x.reviewer, x.decisions_24h, x.per_hour]);
  rows("failures", s.failures, (x) => [x.document, x.error]);
}
refresh(); setInterval(refresh, 10000);
