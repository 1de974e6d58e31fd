"""The rules, one module each; `RULES` maps each public ID to its `Rule`, in documented order.

    from imagepin.rules import RULES, get
    RULES["PIN001"].check(dockerfile, settings)

IDs are public and stable: a rule may be added, never renumbered. The policy pack, `imagepin
check` and `imagepin rules --markdown` (docs/RULES.md) all read these objects.
"""

from __future__ import annotations

from imagepin.errors import ConfigError
from imagepin.rules import (
    arch001_platforms,
    df001_pip_cache,
    df002_shell_form,
    df003_copy_order,
    df004_root,
    df005_apt,
    ops001_retain,
    ops002_healthcheck,
    pin001_base_digest,
    pin002_lock_drift,
    pin003_run_by_digest,
    pin004_floating_tag,
    py001_end_of_life,
    py002_prerelease,
    reg001_registry,
    sec001_secrets,
    sup001_no_reason,
    sup002_unknown_rule,
    var001_full_final,
    var002_os_mismatch,
    var003_distro,
)
from imagepin.rules.base import Finding, Note, Rule, Settings, Severity, Violation

__all__ = [
    "RULES",
    "SUPPRESSION_RULES",
    "Finding",
    "Note",
    "Rule",
    "Settings",
    "Severity",
    "Violation",
    "get",
]

RULES: dict[str, Rule] = {
    module.RULE.id: module.RULE
    for module in (
        pin001_base_digest,
        pin002_lock_drift,
        pin003_run_by_digest,
        pin004_floating_tag,
        py001_end_of_life,
        py002_prerelease,
        var001_full_final,
        var002_os_mismatch,
        var003_distro,
        arch001_platforms,
        df001_pip_cache,
        df002_shell_form,
        df003_copy_order,
        df004_root,
        df005_apt,
        sec001_secrets,
        ops001_retain,
        ops002_healthcheck,
        reg001_registry,
        sup001_no_reason,
        sup002_unknown_rule,
    )
}

SUPPRESSION_RULES = frozenset({"SUP001", "SUP002"})
"""Rules about suppressions themselves: they cannot be suppressed."""


def get(rule_id: str) -> Rule:
    """The rule with `rule_id` (any case); `ConfigError` naming the known IDs otherwise."""
    try:
        return RULES[rule_id.strip().upper()]
    except KeyError:
        raise ConfigError(
            f"{rule_id!r} is not an imagepin rule; `imagepin rules` lists them ({', '.join(RULES)})"
        ) from None
