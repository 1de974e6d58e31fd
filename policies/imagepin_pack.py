"""Adapters from the Pulumi policy SDK to `imagepin.rules`: one policy per rule.

Every rule but OPS001 is a resource policy: it sees one resource's inputs (camelCase engine
names) at preview, before anything is created, and PIN001 can remediate (pin each FROM from
images.lock). OPS001 is a stack policy: analyzers are not told resource options such as
`retainOnDelete`, so it reads what an imagepin component (`imagepin:index:PythonImage` props
`retainOnDelete`) says for the images under it, and skips other images with a note.

Unknown values (outputs at preview) never raise: they become `UNKNOWN` and the rule skips them
with a note (reported as "not applicable" with the reason). Secrets stay marked: the SDK drops the
secret wrapper before validations run, so `_keep_secrets` keeps it, letting SEC001 see a Pulumi
secret passed as a build arg. A component's `suppress` prop covers its children: components are
analyzed before their children, so the pack remembers components by URN.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi_policy
import pulumi_policy.policy as sdk
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import Severity as PolicySeverity
from pulumi_policy.proxy import UnknownValueError

from imagepin.check import Report, check_resources
from imagepin.errors import ImagepinError
from imagepin.rules import RULES, Rule, Severity
from imagepin.rules.pin001_base_digest import remediate as pin_from_lock
from imagepin.rules.resources import BUILD_IMAGE, COMPONENT_PREFIX
from imagepin.rules.settings_schema import CONFIG, settings_from_config
from imagepin.rules.values import SECRET_SIG, SIG_KEY, UNKNOWN, UNKNOWN_SENTINELS, Secret

PACK_NAME = "imagepin"
REPO = Path(__file__).resolve().parent.parent
DOCS = "https://github.com/imagepin/imagepin/blob/main/docs/RULES.md"
STACK_RULES = frozenset({"OPS001"})
_LEVEL = {Severity.ERROR: EnforcementLevel.MANDATORY}
_SEVERITY = {
    Severity.ERROR: PolicySeverity.HIGH,
    Severity.WARNING: PolicySeverity.MEDIUM,
    Severity.INFO: PolicySeverity.LOW,
}

# --- values: SDK proxies -> plain data with imagepin markers --------------------------------

_deserialize = sdk.deserialize_properties


def _keep(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get(SIG_KEY) == SECRET_SIG:
            return pulumi_policy.Secret(_keep(value.get("value")))
        if SIG_KEY in value:  # an asset or archive: the SDK's own handling
            return _deserialize({"v": value})["v"]
        return {k: _keep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_keep(v) for v in value]
    return value


def _keep_secrets(props: dict[str, Any], proxy_secrets: bool = False) -> dict[str, Any]:
    """`deserialize_properties` that keeps secrets as `pulumi_policy.Secret` for validations."""
    if proxy_secrets:  # remediation: the SDK's secret-preserving proxies
        return _deserialize(props, True)
    return {k: _keep(v) for k, v in props.items()}


sdk.deserialize_properties = _keep_secrets


def plain(value: Any) -> Any:
    """A plain copy of SDK props: unknowns as `UNKNOWN`, secrets as imagepin `Secret`."""
    if isinstance(value, pulumi_policy.Secret):
        return Secret(plain(value.value))
    if isinstance(value, str):
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if isinstance(value, Mapping):
        out = {}
        for key in value:
            try:
                out[key] = plain(value[key])
            except UnknownValueError:
                out[key] = UNKNOWN
        return out
    if isinstance(value, Sequence):
        items = []
        for i in range(len(value)):
            try:
                items.append(plain(value[i]))
            except UnknownValueError:
                items.append(UNKNOWN)
        return items
    return value


# --- components seen so far (parents are analyzed before their children) --------------------

_components: dict[str, dict[str, Any]] = {}
_components_lock = threading.Lock()


def _remember(record: dict[str, Any]) -> None:
    if record["type"].startswith(COMPONENT_PREFIX) or record.get("suppress") is not None:
        with _components_lock:
            _components[record["urn"]] = record


def _component_context() -> list[dict[str, Any]]:
    with _components_lock:
        return list(_components.values())


def _retained_by_component(parent: str | None, records: Mapping[str, dict[str, Any]]) -> Any:
    """`retainOnDelete` of the nearest imagepin component above, else UNKNOWN."""
    seen: set[str] = set()
    while parent and parent in records and parent not in seen:
        seen.add(parent)
        record = records[parent]
        if record["type"].startswith(COMPONENT_PREFIX):
            flag = record["inputs"].get("retainOnDelete", record["inputs"].get("retain_on_delete"))
            if isinstance(flag, bool):
                return flag
        parent = record.get("parent")
    return UNKNOWN


def _record(kind: str, name: str, urn: str, props: Any, parent: str | None) -> dict[str, Any]:
    inputs = plain(props)
    return {
        "type": kind,
        "name": name,
        "urn": urn,
        "parent": parent or None,
        "inputs": inputs,
        "options": {"retainOnDelete": UNKNOWN},
        "suppress": inputs.get("suppress") if isinstance(inputs, dict) else None,
    }


# --- reporting --------------------------------------------------------------------------------


def _settings(config: Mapping[str, Any]) -> Any:
    return settings_from_config(config, search=[REPO])


def _report(report: Report, report_violation: ReportViolation, urn: str | None = None) -> str:
    """Report each violation; return the notes (why something was skipped), joined."""
    for v in report.violations:
        report_violation(f"{v.where}: {v.message}", urn)
    return "; ".join(f"{n.where}: {n.message}" for n in report.notes)


def _resource_validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        record = _record(args.resource_type, args.name, args.urn, args.props, args.opts.parent)
        _remember(record)
        try:
            settings = _settings(args.get_config() or {})
            report = check_resources([record], settings, [rule], context=_component_context())
        except ImagepinError as exc:
            report_violation(f"{record['type']} {record['name']!r}: {exc}", None)
            return
        notes = _report(report, report_violation)
        if notes and not report.violations:
            args.not_applicable(notes)

    return validate


def _stack_validation(rule: Rule) -> Callable[[StackValidationArgs, ReportViolation], None]:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        records = {
            r.urn: _record(
                r.resource_type, r.name, r.urn, r.props, r.parent.urn if r.parent else None
            )
            for r in args.resources
        }
        for record in records.values():
            record["options"]["retainOnDelete"] = _retained_by_component(record["parent"], records)
        try:
            report = check_resources(records.values(), _settings(args.get_config() or {}), [rule])
        except ImagepinError as exc:
            report_violation(str(exc), None)
            return
        by_name = {r["name"]: urn for urn, r in records.items()}
        for v in report.violations:
            report_violation(f"{v.where}: {v.message}", by_name.get(v.resource or ""))
        notes = "; ".join(f"{n.where}: {n.message}" for n in report.notes)
        if notes and not report.violations:
            args.not_applicable(notes)

    return validate


def _pin_from_lock(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """PIN001's remediation: pin each FROM of an inline Dockerfile from images.lock."""
    if args.resource_type != BUILD_IMAGE:
        return None
    props = args.props
    dockerfile = props.get("dockerfile")
    if not isinstance(dockerfile, Mapping):
        return None
    current = dict(dockerfile.items())
    inline = current.get("inline")
    if not isinstance(inline, str) or inline in UNKNOWN_SENTINELS:
        return None
    try:
        lock = _settings(args.get_config() or {}).lock
        pinned = pin_from_lock(inline, lock) if lock is not None else inline
    except ImagepinError:
        return None
    if pinned == inline:
        return None
    props["dockerfile"] = {**current, "inline": pinned}  # type: ignore[index]
    return props


# --- the pack ---------------------------------------------------------------------------------


def _schema(rule: Rule) -> PolicyConfigSchema | None:
    if not rule.config:
        return None
    return PolicyConfigSchema(properties={CONFIG[f][0]: CONFIG[f][1] for f in rule.config})


def _noop(args: Any, report_violation: ReportViolation) -> None:
    return None


def policy(rule: Rule, floor: bool = False) -> sdk.Policy:
    common: dict[str, Any] = {
        "name": rule.id,
        "description": f"{rule.id} {rule.title}: {rule.rationale}",
        "enforcement_level": _LEVEL.get(rule.severity, EnforcementLevel.ADVISORY),
        "config_schema": _schema(rule),
        "display_name": rule.title,
        "severity": _SEVERITY[rule.severity],
        "remediation_steps": rule.fix,
        "url": f"{DOCS}#{rule.id.lower()}",
        "tags": ["imagepin", *rule.scope],
    }
    if rule.id in STACK_RULES:
        return StackValidationPolicy(validate=_noop if floor else _stack_validation(rule), **common)
    remediate = _pin_from_lock if rule.id == "PIN001" and not floor else None
    return ResourceValidationPolicy(
        validate=_noop if floor else _resource_validation(rule), remediate=remediate, **common
    )


def build_pack(floor: bool = False) -> None:
    """Start the analyzer (prints its port, then serves until killed)."""
    PolicyPack(
        name=PACK_NAME,
        policies=[policy(rule, floor) for rule in RULES.values()],
        description="imagepin: digest-pinned, slim, supported Python images (docs/RULES.md)",
        display_name="imagepin",
    )
