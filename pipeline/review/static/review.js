// The reviewer's screen: one keystroke to confirm, a few to correct; a medication is four inputs.
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
  "vitals.pulse": "Mạch · Pulse", "vitals.temperature": "Nhiệt độ · Temperature",
  "vitals.blood_pressure": "Huyết áp · Blood pressure", "vitals.respiratory_rate": "Nhịp thở · Respiratory rate",
  "vitals.weight": "Cân nặng · Weight",
  "medications": "Thuốc · Medications", "secondary_icd10": "Bệnh kèm theo (ICD-10) · Secondary ICD-10",
};
const LIST_LABELS = { medications: ["Thuốc", "Medication"], secondary_icd10: ["Mã bệnh kèm theo", "Secondary ICD-10"] };
const PARTS = ["name", "strength", "route", "frequency"];
const $ = (id) => document.getElementById(id);
const state = { items: [], index: 0, zoom: 1, checkTimer: null, valid: true, asked: 0 };

function label(key) {
  const listed = /^(medications|secondary_icd10)\.(\d+)$/.exec(key);
  if (listed) { const [vi, en] = LIST_LABELS[listed[1]]; return `${vi} ${listed[2]} · ${en} ${listed[2]}`; }
  return LABELS[key] || key;
}
function mode() { return document.querySelector("input[name=mode]:checked").value; }
function current() { return state.items[state.index]; }
function isMedication(item) { return Boolean(item) && item.kind === "medication"; }
function partInput(part) { return $(`med-${part}`); }
function parts() { return Object.fromEntries(PARTS.map((p) => [p, partInput(p).value])); }
function typed() { return isMedication(current()) ? JSON.stringify(parts()) : $("value").value; }
function unchanged() {
  if (!isMedication(current())) return $("value").value === $("value").dataset.original;
  return PARTS.every((p) => partInput(p).value === partInput(p).dataset.original);
}

function setCheck(element, ok, text) {
  element.textContent = text; element.className = ok === null ? "check" : ok ? "check good" : "check bad";
}

function render() {
  const item = current();
  if (!item) return;
  $("work").hidden = false; $("empty").hidden = true;
  $("document").textContent = item.document;
  $("page-no").textContent = item.page || "?";
  $("crop").src = `${item.crop_url}?zoom=${state.zoom}`;
  $("page").src = item.page_url;
  $("field-label").textContent = label(item.field);
  // rounded down: a value waiting for a person is never shown as a certain 100 %
  $("confidence").textContent = `tin cậy · confidence ${Math.floor(item.confidence * 100)} %`;
  $("reasons").textContent = (item.reasons || []).join(" · ");
  state.valid = true;
  const medication = isMedication(item);
  $("single").hidden = medication; $("medication").hidden = !medication;
  if (medication) {
    let value = {};
    try { value = JSON.parse(item.value || "{}") || {}; } catch (e) { value = {}; }
    for (const p of PARTS) {
      const input = partInput(p);
      input.value = value[p] === null || value[p] === undefined ? "" : String(value[p]);
      input.dataset.original = input.value;
      setCheck($(`med-${p}-check`), null, "");
    }
    $("field-label").htmlFor = "med-name";
    partInput("name").focus(); partInput("name").select();
  } else {
    const input = $("value");
    input.value = item.value === null ? "" : item.value;
    input.dataset.original = input.value;
    setCheck($("check"), null, "");
    $("field-label").htmlFor = "value";
    input.focus(); input.select();
  }
  const list = $("items"); list.innerHTML = "";
  state.items.forEach((it, i) => {
    const li = document.createElement("li");
    li.textContent = `${label(it.field)}${it.done ? " ✓" : ""}`;
    if (i === state.index) li.className = "current";
    if (it.done) li.classList.add("done");
    li.addEventListener("click", () => { state.index = i; render(); });
    list.appendChild(li);
  });
  const left = state.items.filter((it) => !it.done).length;
  $("progress").textContent = `${left} of ${state.items.length} left in this set`;
}

async function loadEscalations() {
  const panel = $("escalated");
  if (!panel) return;
  const { status, data } = await api("GET", "/api/review/escalations");
  const rows = status === 200 && data ? data.escalations : [];
  panel.hidden = rows.length === 0;
  const body = panel.querySelector("tbody"); body.innerHTML = "";
  for (const e of rows) {
    const tr = document.createElement("tr");
    for (const text of [e.document, e.raised_by, e.raised_at, e.note || "", e.open_items]) {
      const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
    }
    const td = document.createElement("td"); const back = document.createElement("button");
    back.type = "button"; back.textContent = "Trả lại · Send back";
    back.addEventListener("click", async () => {
      await api("POST", `/api/review/escalations/${e.id}/resolve`, {}); loadEscalations();
    });
    td.appendChild(back); tr.appendChild(td); body.appendChild(tr);
  }
}

async function loadNext() {
  const params = new URLSearchParams({ mode: mode() });
  if (mode() === "field") params.set("field", $("field-choice").value);
  const asked = ++state.asked;
  const { status, data } = await api("GET", `/api/review/next?${params}`);
  if (asked !== state.asked) return;  // the reviewer changed mode meanwhile: the later answer counts
  loadEscalations();
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

function showRefusal(text) {
  if (isMedication(current())) { checkMedication(); return; }
  setCheck($("check"), false, text); $("value").select();
}

async function send(action, value) {
  const item = current();
  const before = typed();
  const { status, data } = await api("POST", `/api/review/items/${item.id}`, { action, value });
  const movedOn = current() !== item || typed() !== before;
  if (status === 200) {
    item.done = true;
    if (state.items.every((it) => it.done)) { await loadNext(); } else { move(1); }
  } else if (status === 422) {
    if (!movedOn) showRefusal(data.error);  // else the reviewer is already typing the next try
  } else if (status === 409) {
    setCheck($("check"), false, data.error); await loadNext();
  } else {
    setCheck($("check"), false, (data && data.error) || `error ${status}`);
  }
}

async function escalate() {
  const item = current();
  const { status, data } = await api("POST", `/api/review/items/${item.id}/escalate`, {});
  if (status === 200) { await loadNext(); } else { setCheck($("check"), false, (data && data.error) || `error ${status}`); }
}

async function checkValue() {
  const item = current(); const value = $("value").value;
  if (!item || value === $("value").dataset.original) { setCheck($("check"), null, ""); state.valid = true; return; }
  const { data } = await api("POST", "/api/review/validate", { field: item.field, value });
  if (!data || value !== $("value").value) return;  // the reviewer typed on
  state.valid = data.ok;
  setCheck($("check"), data.ok, data.ok ? `✓ ${data.value}` : `✗ ${data.reason}`);
}

async function checkMedication() {
  const item = current(); const value = parts(); const sent = JSON.stringify(value);
  const { data } = await api("POST", "/api/review/validate", { field: item.field, value });
  if (!data || sent !== JSON.stringify(parts())) return;  // the reviewer typed on
  state.valid = data.ok;
  for (const p of PARTS) {
    const result = (data.parts || {})[p];
    const check = $(`med-${p}-check`);
    if (!result) { setCheck(check, false, `✗ ${data.reason}`); continue; }
    if (result.ok) setCheck(check, true, `✓ ${result.value === null ? "—" : result.value}`);
    else setCheck(check, false, `✗ ${result.reason}`);
  }
}

function onKey(event) {
  const input = event.target;
  const medication = isMedication(current());
  if (event.key === "Enter") {
    event.preventDefault();
    const empty = medication ? PARTS.every((p) => partInput(p).value === "") : input.value === "";
    if (unchanged() && !empty) send("confirm");
    else send("correct", medication ? parts() : input.value);
  } else if (event.key === "F2") { event.preventDefault(); send("missing");
  } else if (event.key === "F4") { event.preventDefault(); send("skip");
  } else if (event.key === "F8") { event.preventDefault(); escalate();
  } else if (event.key === "Tab") {
    const part = PARTS.indexOf(input.dataset.part || "");
    // inside a medication Tab goes from part to part; past its last (or first) part, and
    // everywhere else, to the next (or previous) field
    if (medication && (event.shiftKey ? part > 0 : part < PARTS.length - 1)) return;
    event.preventDefault(); move(event.shiftKey ? -1 : 1);
  } else if (event.ctrlKey && (event.key === "ArrowUp" || event.key === "ArrowDown")) {
    event.preventDefault();
    state.zoom = Math.min(4, Math.max(0.25, state.zoom * (event.key === "ArrowUp" ? 1.5 : 1 / 1.5)));
    $("crop").src = `${current().crop_url}?zoom=${state.zoom.toFixed(2)}`;
  }
}

$("value").addEventListener("input", () => {
  clearTimeout(state.checkTimer); state.checkTimer = setTimeout(checkValue, 120);
});
$("value").addEventListener("keydown", onKey);
for (const p of PARTS) {
  partInput(p).addEventListener("keydown", onKey);
  partInput(p).addEventListener("input", () => {
    clearTimeout(state.checkTimer); state.checkTimer = setTimeout(checkMedication, 120);
  });
  partInput(p).addEventListener("focus", (event) => event.target.select());
}

for (const option of $("field-choice").options) option.textContent = label(option.value);
const language = $("language");
language.value = (localStorage.getItem("desk-language") || navigator.language || "vi").slice(0, 2) === "vi" ? "vi" : "en";
language.addEventListener("change", () => { localStorage.setItem("desk-language", language.value); loadNext(); });
document.querySelectorAll("input[name=mode]").forEach((radio) => radio.addEventListener("change", loadNext));
$("field-choice").addEventListener("change", () => {
  document.querySelector("input[name=mode][value=field]").checked = true; loadNext();
});
$("reload").addEventListener("click", loadNext);
loadNext();
