"""The real prescriptions (../shared/realdata/vaipe, never copied here) read through the whole
path: drug names are found and nothing wrong is accepted without a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.realdata import (
    DEFAULT_ROOT,
    Labels,
    Score,
    code_matches,
    codes_in_text,
    diagnosis_text,
    evaluate,
    name_matches,
)

pytestmark = pytest.mark.tesseract


def test_labels_are_matched_tolerantly() -> None:
    assert name_matches("Novoxim-500", "NOVOXIM-500 0,5g")
    assert name_matches("Hoạt huyết dưỡng não", "HOẠT HUYẾT DƯỠNG NÃO 150mg+20mg")
    assert not name_matches("Paracetamol", "NOVOXIM-500 0,5g")
    assert codes_in_text("(LO8.0) Viêm da có mủ; (G46*) Hội chứng") == ["L08.0", "G46"]
    assert codes_in_text("T10 - Tăng huyết áp; bệnh mạch não (I60-I67)") == ["T10"]  # no range
    assert code_matches("I10", "T10") and not code_matches("J10", "I10")
    # where a code is printed, the labels' digit or bracket for its letter, l for its one
    assert codes_in_text("Chẩn đoán: 110 - Bệnh lý tăng huyết áp (125) Bệnh tim") == ["I10", "I25"]
    assert codes_in_text("Chẩn đoán: Ell - Bệnh đái tháo đường; (E78) Rối loạn") == ["E11", "E78"]
    assert codes_in_text("Chẩn đoán: [10 - Tăng huyết áp") == ["I10"]
    assert codes_in_text("Viêm da 110 ngày; uống 100 - 200 mg; mạch não (160-167)") == []


def test_a_diagnosis_read_whole_is_the_labelled_words_no_more_no_less() -> None:
    labelled = "Chấn đoán: 110 - Tăng huyết áp vô căn; (E78) Rối loạn lipid máu"
    assert diagnosis_text(labelled) == "tang huyet ap vo can roi loan lipid mau"
    assert diagnosis_text("Chẩn đoán: [10 - Tăng huyết áp") == "tang huyet ap"
    labels = Labels((), labelled, ("I10", "E78"))
    score = Score()
    score.add(labels, [], "Tăng huyết áp vô căn; rối loạn lipid máu", set(), True)
    # run on into the drug lines: alike the label (its words are all there), but not whole
    score.add(
        labels,
        [],
        "Tăng huyết áp vô căn; rối loạn lipid máu 1) ENALAPRIL 5mg SL 30 viên",
        set(),
        True,
    )
    assert (score.diagnoses_found, score.diagnoses_whole) == (2, 1)
    assert (score.diagnoses_auto_wrong, score.diagnoses_auto_not_whole) == (0, 1)


def test_a_wrong_auto_accepted_entry_is_counted() -> None:
    score = Score()
    labels = Labels(("RENAPRIL 5MG 5mg",), "Tăng huyết áp", ("I10",))
    entries = [
        {"name": "Renapril", "decision": "needs_review"},
        {"name": "Amlodipin", "decision": "auto_accepted"},
    ]
    score.add(labels, entries, "Tăng huyết áp vô căn", {"I10"})
    assert (score.drugs_found, score.entries_right, score.entries_auto_wrong) == (1, 1, 1)
    assert (score.diagnoses_found, score.codes_found) == (1, 1)


@pytest.mark.skipif(not (DEFAULT_ROOT / "images").is_dir(), reason="no real prescriptions here")
def test_real_prescriptions_drug_names_found_and_none_wrongly_accepted() -> None:
    score, first, rest = evaluate(Path(DEFAULT_ROOT), limit=3, split=2)
    assert (first.images, rest.images) == (2, 1)
    assert score.images == 3 and score.drugs_labelled > 0
    assert score.drugs_found / score.drugs_labelled >= 0.6
    assert score.entries_auto_wrong == 0 and score.diagnoses_auto_wrong == 0
    assert score.diagnoses_found >= 1  # "Chẩn đoán:" alone is a diagnosis label
