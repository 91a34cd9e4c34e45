"""The check registry (schemas/checks.json): every check name the code can emit is in it,
with an effect and a sentence in Vietnamese and English; the loader is strict."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from pipeline.review.routing import CORROBORATING_CHECKS
from schemas.checks import CHECKS_PATH, EFFECTS, load_registry, parse_registry

ROOT = Path(__file__).resolve().parent.parent
#: variables and attributes that hold check names while a reading is checked
_HOLDERS = {"passed", "failed", "checks_passed", "checks_failed"}
#: calls whose arguments at these positions are check names
_EMITTERS = {"ParsedValue": (1, 2), "_with_check": (1,), "_held_against": (1,), "_in_range": (3,)}


def _holds(node: ast.AST) -> bool:
    return any(
        (isinstance(n, ast.Name) and n.id in _HOLDERS)
        or (isinstance(n, ast.Attribute) and n.attr in _HOLDERS)
        for n in ast.walk(node)
    )


def _holds_target(node: ast.AugAssign | ast.Assign) -> bool:
    targets = [node.target] if isinstance(node, ast.AugAssign) else node.targets
    return any(_holds(t) for t in targets)


def _names(node: ast.AST) -> set[str]:
    """The string literals inside ``node``; a computed name (an f-string) is reported as such:
    its values cannot be checked against the registry."""
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Constant) and isinstance(n.value, str):
            out.add(n.value)
        elif isinstance(n, ast.JoinedStr):
            out.add("<computed check name>")
    return out


def emitted_checks(source: str) -> set[str]:
    """Every check name a module's code can emit: arguments of the emitting calls, values of
    ``checks_passed=`` / ``checks_failed=``, and what is appended, added or assigned to the
    ``passed`` / ``failed`` lists and tuples."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = getattr(func, "id", None) or getattr(func, "attr", "")
            for position in _EMITTERS.get(name, ()):
                if position < len(node.args):
                    found |= _names(node.args[position])
            if name == "append" and isinstance(func, ast.Attribute) and _holds(func.value):
                for arg in node.args:
                    found |= _names(arg)
            for keyword in node.keywords:
                if keyword.arg in ("checks_passed", "checks_failed", "checks"):
                    found |= _names(keyword.value)
        elif isinstance(node, (ast.AugAssign, ast.Assign)) and _holds_target(node):
            found |= _names(node.value)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and _holds(node.left):
            found |= _names(node.right)
    return found


def _code_checks() -> dict[str, set[str]]:
    by_module = {}
    for path in sorted((ROOT / "pipeline").rglob("*.py")):
        names = emitted_checks(path.read_text(encoding="utf-8"))
        if names:
            by_module[str(path.relative_to(ROOT))] = names
    return by_module


def test_every_check_the_code_emits_is_registered() -> None:
    registered = set(load_registry().checks)
    missing = {
        module: sorted(names - registered)
        for module, names in _code_checks().items()
        if names - registered
    }
    assert not missing, f"add these checks to schemas/checks.json: {missing}"
    emitted = set().union(*_code_checks().values())
    assert len(emitted) >= 60  # the scan finds the extractor's checks, not a handful


def test_the_scan_catches_a_new_check() -> None:
    source = """
def parse_x(text):
    passed, failed = ["length"], []
    (passed if text else failed).append("brand_new_check")
    return ParsedValue(text, ("format",), ("another_new_one",) if text else ())
def judge(c):
    return replace(c, checks_failed=c.checks_failed + ("third_new_one",))
def cross(c, a):
    return _with_check(c, f"{a}_before", True)
"""
    found = emitted_checks(source)
    assert {"brand_new_check", "another_new_one", "third_new_one"} <= found
    assert "<computed check name>" in found  # a name built at run time is refused
    assert not found <= set(load_registry().checks)


def test_registered_checks_have_an_effect_and_two_sentences() -> None:
    registry = load_registry()
    for check in registry.checks.values():
        assert check.effect in EFFECTS
        for lang in ("vi", "en"):
            sentence = check.sentences[lang]
            assert "_" not in sentence and sentence[0].isupper() and sentence[-1] in ".)"
        assert check.sentences["vi"] != check.sentences["en"]
    # routing's corroborating checks are the registry's
    assert {
        c.name for c in registry.checks.values() if c.effect == "corroborates"
    } == CORROBORATING_CHECKS
    # an OCR-only check never refuses a typed value
    for name in ("digits_repaired", "in_capitals", "name_syllables", "known_surname"):
        assert not registry.checks[name].refuses_typed


def test_the_loader_rejects_unknown_keys_and_missing_sentences() -> None:
    data = json.loads(CHECKS_PATH.read_text(encoding="utf-8"))
    parse_registry(data)
    with_typo = json.loads(json.dumps(data))
    with_typo["checks"]["plausible_range"]["sentense"] = "x"
    with pytest.raises(ValueError, match="unknown keys"):
        parse_registry(with_typo)
    no_vi = json.loads(json.dumps(data))
    no_vi["checks"]["plausible_range"]["vi"] = " "
    with pytest.raises(ValueError, match="no vi sentence"):
        parse_registry(no_vi)
    bad_effect = json.loads(json.dumps(data))
    bad_effect["checks"]["plausible_range"]["effect"] = "worries"
    with pytest.raises(ValueError, match="effect"):
        parse_registry(bad_effect)
    extra_top = {**data, "check": {}}
    with pytest.raises(ValueError, match="unknown keys"):
        parse_registry(extra_top)
