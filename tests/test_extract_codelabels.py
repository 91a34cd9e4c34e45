"""A code's labels come from the lexicons, read with the confusions table's slips: every
wording of the ICD-10 field is taken off a diagnosis, and split off a code glued to it."""

from __future__ import annotations

import pytest

from pipeline.extract.codelabels import as_read, code_wordings
from pipeline.extract.diagnoses import _diagnosis_text
from pipeline.extract.doc import _GLUED_CODE_LABEL
from pipeline.extract.lexicon import languages, load_lexicon

_ICD = frozenset({"icd10"})


def test_the_icd10_fields_labels_of_every_lexicon_are_the_code_labels() -> None:
    wanted = {
        w for lang in languages() for w in load_lexicon(lang).wordings["encounter.discharge_icd10"]
    }
    assert wanted and set(code_wordings(_ICD)) == wanted


@pytest.mark.parametrize("wording", code_wordings(_ICD))
def test_a_code_label_and_its_code_leave_the_diagnosis(wording: str) -> None:
    assert _diagnosis_text(f"Viêm phổi {wording}: J18.9") == "Viêm phổi"
    assert _diagnosis_text(f"Viêm phổi ({wording} J18.9)") == "Viêm phổi"


def test_a_label_is_read_with_ocrs_slips_from_the_table() -> None:
    import re

    pattern = re.compile(as_read("Mã ICD-10"), re.IGNORECASE)
    for read in ("Mã ICD-10", "Ma ICD-I0", "MãICD10", "MA ICD-1O", "Mã I€D-10"):
        assert pattern.fullmatch(read), read
    assert not pattern.fullmatch("Mã ICE-10")
    assert _diagnosis_text("Nghiện ma túy") == "Nghiện ma túy"  # a label's word, no code


@pytest.mark.parametrize(
    ("word", "split"),
    [("MãB08.", ("Mã", "B08.")), ("ICD-I0K81.0", ("ICD-I0", "K81.0")),
     ("BHYTHN20", ("BHYT", "HN20")), ("CCCD079085", ("CCCD", "079085")),
     ("MAI", None), ("Codein", None), ("CODEIN", None)],
)  # fmt: skip
def test_a_label_glued_to_its_code_is_split_off(word: str, split: tuple[str, str] | None) -> None:
    m = _GLUED_CODE_LABEL.match(word)
    assert (m and (m.group(1), m.group(2))) == split
