"""Label lexicons are data, loaded strictly."""

import pytest

from pipeline.extract.lexicon import LexiconError, load_lexicon, parse_lexicon


def test_shipped_lexicons_load() -> None:
    vi = load_lexicon("vi")
    assert ("ho", "va", "ten") in vi.labels["patient.full_name"]
    assert load_lexicon("en").labels["patient.birth_date"]


def test_unknown_top_level_key_is_rejected() -> None:
    with pytest.raises(LexiconError, match="unknown keys"):
        parse_lexicon({"language": "vi", "labels": {}, "lables": {}}, "x.json")


def test_unknown_field_key_is_rejected() -> None:
    with pytest.raises(LexiconError, match="unknown field key"):
        parse_lexicon({"language": "vi", "labels": {"patient.nickname": ["Tên gọi"]}}, "x.json")


def test_labels_must_be_strings() -> None:
    with pytest.raises(LexiconError):
        parse_lexicon({"language": "vi", "labels": {"patient.sex": [3]}}, "x.json")
    with pytest.raises(LexiconError, match="no letters"):
        parse_lexicon({"language": "vi", "labels": {"patient.sex": [": -"]}}, "x.json")
