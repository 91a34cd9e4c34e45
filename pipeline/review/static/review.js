// The reviewer's screen: one keystroke to confirm, a few to correct.
"use strict";
const LABELS = {
  "patient.full_name": "Họ và tên · Full name", "patient.birth_date": "Ngày sinh · Date of birth",
  "patient.sex": "Giới tính · Sex", "patient.ethnicity": "Dân tộc · Ethnicity",
  "patient.occupation": "Nghề nghiệp · Occupation", "patient.address": "Địa chỉ · Address",
  "patient.national_id": "Số CCCD/CMND · National ID",
  "patient.insurance_number": "Số thẻ BHYT · Insurance no.", "patient.phone": "Điện thoại · Phone",
  "encounter.record_number": "Số bệnh án · Record no.", "encounter.department": "Khoa · Department",
  "encounter.admission_time": "Vào viện · Admitted", "encounter.discharge_time": "Ra viện · Discharged",
  "encounter.admission_diagnosis": "Chẩn đoán vào viện · Admission diagnosis",
  "encounter.discharge_diagnosis": "Bệnh chính · Principal diagnosis",
  "encounter.discharge_icd10": "Mã ICD-10", "encounter.outcome": "Kết quả điều trị · Outcome",
  "encounter.attending_physician": "Bác sĩ điều trị · Physician",
};
const $ = (id) => document.getElementById(id);
const state = { items: [], index: 0, zoom: 1, checkTimer: null, valid: true };

function mode() { return document.querySelector("input[name=mode]:checked").value; }

function current() { return state.items[state.index]; }

function render() {
  const item = current();
  if (!item) return;
  $("work").hidden = false; $("empty").hidden = true;
  $("document").textContent = item.document;
  $("page-no").textContent = item.page || "?";
  $("crop").src = `${item.crop_url}?zoom=${state.zoom}`;
  $("page").src = item.page_url;
  $("field-label").textContent = LABELS[item.field] || item.field;
  $("confidence").textContent = `confidence ${Math.round(item.confidence * 100)}%`;
  $("reasons").textContent = (item.reasons || []).join(" · ");
  $("check").textContent = ""; $("check").className = "check"; state.valid = true;
  const input = $("value");
  input.value = item.value === null ? "" : item.value;
  input.dataset.original = input.value;
  input.focus(); input.select();
  const list = $("items"); list.innerHTML = "";
  state.items.forEach((it, i) => {
    const li = document.createElement("li");
    li.textContent = `${LABELS[it.field] || it.field}${it.done ? " ✓" : ""}`;
    if (i === state.index) li.className = "current";
    if (it.done) li.classList.add("done");
    li.addEventListener("click", () => { state.index = i; render(); });
    list.appendChild(li);
  });
  const left = state.items.filter((it) => !it.done).length;
  $("progress").textContent = `${left} of ${state.items.length} left in this set`;
}

async function loadNext() {
  const params = new URLSearchParams({ mode: mode() });
  if (mode() === "field") params.set("field", $("field-choice").value);
  const { status, data } = await api("GET", `/api/review/next?${params}`);
  if (status === 204 || !data) {
    state.items = []; $("work").hidden = true; $("empty").hidden = false;
    $("progress").textContent = ""; $("reload").focus(); return;
  }
  state.items = data.items; state.index = 0; render();
}

function move(step) {
  const n = state.items.length;
  for (let k = 1; k <= n; k++) {
    const i = (state.index + step * k + n * n) % n;
    if (!state.items[i].done) { state.index = i; render(); return; }
  }
}

async function send(action, value) {
  const item = current();
  const typed = $("value").value;
  const { status, data } = await api("POST", `/api/review/items/${item.id}`, { action, value });
  const movedOn = current() !== item || $("value").value !== typed;
  if (status === 200) {
    item.done = true;
    if (state.items.every((it) => it.done)) { await loadNext(); } else { move(1); }
  } else if (status === 422) {
    if (movedOn) return;  // the reviewer is already typing the next try
    $("check").textContent = data.error; $("check").className = "check bad";
    $("value").select();
  } else if (status === 409) {
    $("check").textContent = data.error; await loadNext();
  } else {
    $("check").textContent = (data && data.error) || `error ${status}`;
    $("check").className = "check bad";
  }
}

async function checkValue() {
  const item = current(); const value = $("value").value;
  if (!item || value === $("value").dataset.original) {
    $("check").textContent = ""; $("check").className = "check"; state.valid = true; return;
  }
  const { data } = await api("POST", "/api/review/validate", { field: item.field, value });
  if (!data || value !== $("value").value) return;  // the reviewer typed on
  state.valid = data.ok;
  $("check").textContent = data.ok ? `✓ ${data.value}` : `✗ ${data.reason}`;
  $("check").className = data.ok ? "check good" : "check bad";
}

$("value").addEventListener("input", () => {
  clearTimeout(state.checkTimer); state.checkTimer = setTimeout(checkValue, 120);
});

$("value").addEventListener("keydown", (event) => {
  const input = event.target;
  if (event.key === "Enter") {
    event.preventDefault();
    if (input.value === input.dataset.original && input.value !== "") send("confirm");
    else send("correct", input.value);
  } else if (event.key === "F2") { event.preventDefault(); send("missing");
  } else if (event.key === "F4") { event.preventDefault(); send("skip");
  } else if (event.key === "Tab") { event.preventDefault(); move(event.shiftKey ? -1 : 1);
  } else if (event.ctrlKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    event.preventDefault();
    state.zoom = Math.min(4, Math.max(0.25, state.zoom * (event.key === "ArrowUp" ? 1.5 : 1 / 1.5)));
    $("crop").src = `${current().crop_url}?zoom=${state.zoom.toFixed(2)}`;
  }
});

document.querySelectorAll("input[name=mode]").forEach((radio) => radio.addEventListener("change", loadNext));
$("field-choice").addEventListener("change", () => {
  document.querySelector("input[name=mode][value=field]").checked = true; loadNext();
});
$("reload").addEventListener("click", loadNext);
loadNext();
