// "Same patient?": two charts side by side, Y or N. A yes merges (leads can undo it).
"use strict";
const ROWS = [["full_name", "Họ và tên · Name"], ["birth_date", "Ngày sinh · Born"],
  ["sex", "Giới · Sex"], ["address", "Địa chỉ · Address"], ["national_id", "CCCD/CMND"],
  ["insurance_number", "BHYT"]];
let open = null;

async function nextQuestion() {
  const { status, data } = await api("GET", "/api/patients/questions/next");
  document.getElementById("question").hidden = status !== 200;
  document.getElementById("q-empty").hidden = status === 200;
  open = status === 200 ? data : null;
  if (!open) return;
  document.getElementById("q-why").textContent = (open.reasons || []).join(" · ");
  document.getElementById("q-new-doc").textContent = open.new_chart.document || "";
  document.getElementById("q-old-doc").textContent = open.existing_patient.document || "";
  const body = document.getElementById("q-rows"); body.innerHTML = "";
  for (const [key, label] of ROWS) {
    const tr = document.createElement("tr");
    const a = open.new_chart[key], b = open.existing_patient[key];
    for (const text of [label, a ?? "–", b ?? "–"]) {
      const td = document.createElement("td"); td.textContent = text; tr.appendChild(td);
    }
    if (a !== b) tr.className = "differs";
    body.appendChild(tr);
  }
}

async function answer(same) {
  if (!open) return;
  await api("POST", `/api/patients/questions/${open.id}`, { same });
  nextQuestion();
}
document.getElementById("q-yes").addEventListener("click", () => answer(true));
document.getElementById("q-no").addEventListener("click", () => answer(false));
document.addEventListener("keydown", (e) => {
  if (e.key === "y" || e.key === "Y") answer(true);
  if (e.key === "n" || e.key === "N") answer(false);
});
nextQuestion();
