"""The rule objects themselves: stable public IDs, one module each, one-sentence why and fix."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest

import imagepin.rules as package
from imagepin.errors import ConfigError
from imagepin.rules import RULES, Severity, get

PUBLIC_IDS = [
    "PIN001", "PIN002", "PIN003", "PIN004", "PY001", "PY002", "VAR001", "VAR002", "VAR003",
    "ARCH001", "DF001", "DF002", "DF003", "DF004", "DF005", "SEC001", "OPS001", "OPS002",
    "REG001", "SUP001", "SUP002",
]  # fmt: skip
SEVERITIES = {
    "PIN001": "error", "PIN002": "error", "PIN003": "error", "PIN004": "warning",
    "PY001": "error", "PY002": "error", "VAR001": "warning", "VAR002": "error",
    "VAR003": "warning", "ARCH001": "error", "DF001": "warning", "DF002": "warning",
    "DF003": "info", "DF004": "warning", "DF005": "warning", "SEC001": "error",
    "OPS001": "error", "OPS002": "warning", "REG001": "error", "SUP001": "error",
    "SUP002": "warning",
}  # fmt: skip


def test_the_public_ids_and_their_severities() -> None:
    assert list(RULES) == PUBLIC_IDS
    assert {i: r.severity.value for i, r in RULES.items()} == SEVERITIES


def test_one_module_per_rule_named_after_its_id() -> None:
    modules = [m.name for m in pkgutil.iter_modules(package.__path__)]
    rule_modules = sorted(m for m in modules if re.fullmatch(r"[a-z]+\d{3}_[a-z_]+", m))
    assert len(rule_modules) == len(RULES)
    for name in rule_modules:
        module = importlib.import_module(f"imagepin.rules.{name}")
        assert name.startswith(module.RULE.id.lower() + "_")
        assert module.RULE is RULES[module.RULE.id]
        assert module.RULE.check is module.check


@pytest.mark.parametrize("rule", RULES.values(), ids=list(RULES))
def test_each_rule_has_one_sentence_of_why_and_of_fix(rule) -> None:
    assert isinstance(rule.severity, Severity)
    for text in (rule.rationale, rule.fix):
        assert text.endswith("."), text
        assert text[0].isupper() or text[0] == "`", text
    assert rule.rationale.count(". ") == 0, rule.rationale
    assert rule.title and not rule.title.endswith(".")
    assert set(rule.scope) <= {"dockerfile", "resource"} and rule.scope


def test_get_reads_any_case_and_names_the_choices() -> None:
    assert get("df004") is RULES["DF004"]
    with pytest.raises(ConfigError, match=r"'DF04' is not an imagepin rule; `imagepin rules`"):
        get("DF04")
