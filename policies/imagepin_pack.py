"""Adapters from the Pulumi policy SDK to `imagepin.rules`: one policy per rule.

Every rule but OPS001 is a resource policy: it sees one resource's inputs (camelCase engine
names) at preview, before anything is created, and PIN001 can remediate (pin each FROM from
images.lock). OPS001 is a stack policy: analyzers are not told resource options such as
`retainOnDelete`, so it reads what an imagepin component (`imagepin:index:PythonImage` props
`retainOnDelete`) says for the images under it, and skips other images with a note.

Unknown values (outputs at preview) never raise: they become `UNKNOWN` and the rule skips them
with a note (reported as "not applicable" with the reason). Secrets stay marked (`sdk_bridge`).
A component's `suppress` prop covers its children: components are analyzed before their
children, so the pack remembers components by URN. The SDK runs the policies one by one on the
same request; the first one checks the resource with every rule and the rest read their part.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

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
from pulumi_policy.proxy import _DictProxy
from sdk_bridge import ORIGIN, plain, same

from imagepin.check import check_resources
from imagepin.errors import ImagepinError
from imagepin.rules import RULES, SUPPRESSION_RULES, Note, Rule, Settings, Severity
from imagepin.rules.image_dockerfile import ALL_DOCKERFILE_RULES
from imagepin.rules.pin001_base_digest import remediate as pin_from_lock
from imagepin.rules.resources import BUILD_IMAGE, COMPONENT_PREFIX, Resource
from imagepin.rules.settings_schema import CONFIG, settings_from_config
from imagepin.rules.suppressions import from_mapping
from imagepin.rules.values import UNKNOWN, UNKNOWN_SENTINELS, reveal

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

# --- components seen so far (parents are analyzed before their children) --------------------

_components: dict[str, Resource] = {}
_components_lock = threading.Lock()
_generation = [0]
"""Bumped when a resource is remembered or forgotten, or its `suppress` changes: a resource's
findings depend on its ancestors' `suppress`, so an analysis made before is not reused after."""


def _remember(resource: Resource) -> None:
    key = resource.urn or resource.name
    keep = resource.is_component or resource.suppress is not None
    if not keep and key not in _components:
        return
    if not keep:  # analyzed again without its `suppress`: it no longer covers its children
        _forget(key)
        return
    with _components_lock:
        before = _components.get(key)
        _components[key] = resource
        if before is None or before.suppress != resource.suppress:  # what children read changed
            _generation[0] += 1


def _forget(key: str) -> None:
    with _components_lock:
        if _components.pop(key, None) is not None:
            _generation[0] += 1


def _component_context() -> list[Resource]:
    if not _components:  # most stacks' resources have no component or suppress mapping
        return []
    with _components_lock:
        return list(_components.values())


_known: dict[str, Settings] = {}
"""Each resource policy's settings, as its last validation read them from its config."""
_known_ids: tuple[str, ...] = ()
"""The IDs in `_known`, in order (a cache key for `_rules_for`)."""
_known_lock = threading.Lock()
"""gRPC serves requests on several threads: `_known` and `_known_ids` change together."""
_last = threading.local()
"""The resource the SDK is running policies on in this thread, and what the rules found on it.

The SDK runs every policy on a fresh copy of the same request, one after another; the first
policy checks the resource with every rule whose settings are known, and the next ones read their
part as long as their copy is equal and their settings unchanged."""


Part = tuple[tuple[str, ...], str]
"""What one rule found on one resource: its violation messages, and its notes joined (why it
skipped something)."""
_NOTHING: Part = ((), "")


class _Analysis:
    def __init__(self, record: dict[str, Any], source: object | None) -> None:
        self.record = record
        self.source = source
        self.resource = Resource(
            type=record["type"],
            name=record["name"],
            inputs=record["inputs"] if isinstance(record["inputs"], dict) else {},
            options=record["options"],
            urn=record["urn"],
            parent=record["parent"],
            suppress=record["suppress"],
        )
        self.key = (record["urn"], record["type"], record["name"], record["parent"])
        self.generation = -1
        """`_generation` when it was made (reused only while the components are unchanged)."""
        self.settings: dict[str, Settings] = {}
        """The settings each rule's part was found with."""
        self.found: dict[str, Part] = {}

    def part(self, rule: Rule, settings: Settings) -> Part:
        """What `rule` found on this resource (every rule known so far is run the first time)."""
        global _known_ids
        if self.settings.get(rule.id) is settings:
            return self.found.get(rule.id, _NOTHING)
        with _known_lock:  # a consistent snapshot: the rules run are the ones recorded as run
            _known[rule.id] = settings
            if len(_known_ids) != len(_known):
                _known_ids = tuple(_known)
            known, known_ids = dict(_known), _known_ids
        suppress = "suppress" in self.resource.inputs
        rules = _rules_for(self.resource.type, suppress, known_ids)
        report = check_resources(
            [self.resource], settings, rules, context=_component_context(), per_rule=known
        )
        # one pass over the findings, each to its rule's part (in the report's order); a note
        # about the Dockerfile as a whole goes to every Dockerfile rule
        messages: dict[str, list[str]] = {}
        notes: dict[str, list[Note]] = {}
        for v in report.violations:
            messages.setdefault(v.rule, []).append(f"{v.where}: {v.message}")
        for n in report.notes:
            if n.rule != ALL_DOCKERFILE_RULES:
                notes.setdefault(n.rule, []).append(n)
                continue
            for r in rules:
                if "dockerfile" in r.scope:
                    notes.setdefault(r.id, []).append(n)
        self.found = {
            rule_id: (tuple(found), _joined(notes.pop(rule_id, ())))
            for rule_id, found in messages.items()
        }
        self.found.update((rule_id, ((), _joined(found))) for rule_id, found in notes.items())
        self.settings = known  # what the parts were found with (rules that apply, and more)
        return self.found.get(rule.id, _NOTHING)


def _joined(notes: Iterable[Note]) -> str:
    """Notes (why a rule skipped something) as one not-applicable reason."""
    return "; ".join(f"{n.where}: {n.message}" for n in notes)


def _analysis(args: ResourceValidationArgs) -> _Analysis:
    previous: _Analysis | None = getattr(_last, "analysis", None)
    parent = args.opts.parent or None
    source = getattr(args.props, ORIGIN, None)
    if (
        previous is not None
        and previous.generation == _generation[0]
        and previous.key == (args.urn, args.resource_type, args.name, parent)
    ):
        if source is not None and source is previous.source:
            return previous  # a proxy over the very props the last policy read
        if same(args.props, previous.record["inputs"]):
            return previous
    record = _record(args.resource_type, args.name, args.urn, args.props, parent)
    analysis = _Analysis(record, source)
    _remember(analysis.resource)
    analysis.generation = _generation[0]  # after its own change to the components, if any
    _last.analysis = analysis
    return analysis


@lru_cache(maxsize=4096)
def _reads(rule_id: str, kind: str) -> bool:
    """Whether the rule reads every resource of this type (suppress props aside)."""
    rule = RULES[rule_id]
    if kind.startswith(COMPONENT_PREFIX) or ("dockerfile" in rule.scope and kind == BUILD_IMAGE):
        return True
    if rule_id in SUPPRESSION_RULES:  # elsewhere only a `suppress` prop gives them work
        return False
    return rule.reads(kind)


def _has_suppress(props: Any) -> bool:
    """Whether the props have a `suppress` key (cheap: nothing is converted)."""
    keys: Any = getattr(props, ORIGIN, None)
    if keys is None:
        keys = props["__target"] if type(props) is _DictProxy else props
    return "suppress" in keys


@lru_cache(maxsize=4096)
def _rules_for(kind: str, suppress: bool, known: tuple[str, ...]) -> tuple[Rule, ...]:
    """The known rules that can find anything on a resource of this type."""
    return tuple(RULES[i] for i in known if suppress or _reads(i, kind))


def _retained_by_component(parent: str | None, records: Mapping[str, dict[str, Any]]) -> Any:
    """`retainOnDelete` of the nearest imagepin component above, else UNKNOWN."""
    seen: set[str] = set()
    while parent and parent in records and parent not in seen:
        seen.add(parent)
        record = records[parent]
        if record["type"].startswith(COMPONENT_PREFIX):
            inputs = record["inputs"]
            flag = reveal(inputs.get("retainOnDelete", inputs.get("retain_on_delete")))
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


_settings_cache: dict[str, Settings] = {}


def _settings(config: Mapping[str, Any], rule: Rule) -> Settings:
    """Settings for one policy's config, read once per config (and lock file) per process."""
    key = f"{rule.config!r}{sorted(config.items())!r}"
    known = _settings_cache.get(key)
    if known is None:  # two threads may both read it: both get the one stored first
        read = settings_from_config(config, search=[REPO], reads=rule.config)
        known = _settings_cache.setdefault(key, read)
    return known


def _resource_validation(rule: Rule) -> Callable[[ResourceValidationArgs, ReportViolation], None]:
    rule_id = rule.id
    # this policy's last config and its settings: the SDK hands every validation a fresh copy
    # of the same config, so an equal copy is answered without building the cache key
    last: list[tuple[Mapping[str, Any], Settings]] = []

    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if not _reads(rule_id, args.resource_type) and not _has_suppress(args.props):
            if args.urn in _components:  # remembered for a `suppress` it no longer has
                _forget(args.urn)
            return  # nothing this rule can find here (cheap: no props are converted)
        analysis = _analysis(args)
        config = args.get_config() or {}
        try:
            known = last[0] if last else None
            if known is not None and known[0] == config:
                settings = known[1]
            else:
                settings = _settings(config, rule)
                last[:] = [(config, settings)]
            messages, notes = analysis.part(rule, settings)
        except ImagepinError as exc:
            report_violation(f"{args.resource_type} {args.name!r}: {exc}", None)
            return
        for message in messages:
            report_violation(message, None)
        if notes and not messages:
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
        violations: list[tuple[str, str]] = []
        notes: list[Note] = []
        try:
            settings = _settings(args.get_config() or {}, rule)
            # findings name resources by name, and names repeat across parents: each batch
            # holds one resource per name, so each finding maps back to its URN
            resources = {urn: Resource.from_any(record) for urn, record in records.items()}
            for batch in _unique_names(resources):
                report = check_resources(
                    batch.values(), settings, [rule], context=resources.values()
                )
                by_name = {r.name: urn for urn, r in batch.items()}
                violations += [
                    (f"{v.where}: {v.message}", by_name.get(v.resource or "", ""))
                    for v in report.violations
                ]
                notes += report.notes
        except ImagepinError as exc:
            report_violation(str(exc), None)
            return
        for message, urn in violations:
            report_violation(message, urn or None)
        if notes and not violations:
            args.not_applicable(_joined(notes))

    return validate


def _unique_names(resources: Mapping[str, Resource]) -> list[dict[str, Resource]]:
    """`resources` (by URN) in batches in which no two share a name (usually one batch)."""
    batches: list[dict[str, Resource]] = []
    names: list[set[str]] = []
    for urn, resource in resources.items():
        i = next((i for i, seen in enumerate(names) if resource.name not in seen), len(names))
        if i == len(names):
            batches.append({})
            names.append(set())
        batches[i][urn] = resource
        names[i].add(resource.name)
    return batches


def _suppressed(rule_id: str, args: ResourceValidationArgs) -> bool:
    """Whether a `suppress` on the resource, or on a component above it, covers `rule_id`."""
    own = plain(args.props).get("suppress") if _has_suppress(args.props) else None
    found = from_mapping(own, args.name)
    parent, seen = args.opts.parent or None, set()
    while parent is not None and parent not in seen:
        seen.add(parent)
        ancestor = _components.get(parent)  # one read: another thread may forget it
        if ancestor is None:
            break
        found += from_mapping(ancestor.suppress, ancestor.name)
        parent = ancestor.parent
    return any(s.active and rule_id in s.rules for s in found)


def _pin_from_lock(args: ResourceValidationArgs) -> Mapping[str, Any] | None:
    """PIN001's remediation: pin each FROM of an inline Dockerfile from images.lock."""
    if args.resource_type != BUILD_IMAGE or _suppressed("PIN001", args):
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
        lock = _settings(args.get_config() or {}, RULES["PIN001"]).lock
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
        "description": f"{rule.title}: {rule.rationale}",
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
