"""Where the policy pack meets the Pulumi policy SDK's internals, kept in one place.

- Secrets: the SDK drops the secret wrapper of a property before validations run; the engine
  sends it (`KeepSecrets`), so `_keep_secrets` keeps it as `pulumi_policy.Secret`, letting SEC001
  see a Pulumi secret passed as a build arg.
- Reuse: the SDK deserializes the request again for every policy; equal requests in a row now get
  the same deserialized props, and each props proxy is tagged with them (`ORIGIN`), so the pack
  can tell two policies are looking at the same resource without comparing the props.
- Reporting: the SDK builds each diagnostic from eight keyword arguments, copies it into the
  response, and evaluates its closure's annotations for every policy on every request;
  `_create_report_violation` builds the same diagnostic in place from a per-policy template.
- `plain` turns the SDK's props into plain data with imagepin's markers (`UNKNOWN`, `Secret`);
  `same` compares SDK props with such plain data without copying them.

Everything degrades to the SDK's own behaviour if its internals move: without the tag the pack
compares props (`same`), without the secret hook secrets read as plain values, without the
pack's name and version on the servicer the SDK reports.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping, Sequence
from typing import Any

import pulumi_policy
import pulumi_policy.policy as sdk
from pulumi_policy.proxy import UnknownValueError, _DictProxy, _ListProxy

from imagepin.rules.values import SECRET_SIG, SIG_KEY, UNKNOWN, UNKNOWN_SENTINELS, Secret

_deserialize = sdk.deserialize_properties
_proxy = sdk.unknown_checking_proxy
_state = threading.local()


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
    """`deserialize_properties` that keeps secrets, and returns the same result for equal props
    in a row (the SDK deserializes one request once per policy)."""
    if proxy_secrets:  # remediation: the SDK's secret-preserving proxies
        return _deserialize(props, True)
    last: tuple[dict[str, Any], dict[str, Any]] | None = getattr(_state, "last", None)
    if last is not None and last[0] == props:
        return last[1]
    kept = {k: _keep(v) for k, v in props.items()}
    _state.last = (props, kept)
    return kept


ORIGIN = "_imagepin_origin"
"""The attribute of an SDK props proxy that holds the deserialized props it reads (read it with
`getattr(props, ORIGIN, None)`: None when not known)."""


def _tagging_proxy(props: dict[str, Any]) -> Any:
    proxy = _proxy(props)
    with contextlib.suppress(AttributeError):
        proxy._imagepin_origin = props  # ORIGIN: which deserialized props this proxy reads
    return proxy


sdk.deserialize_properties = _keep_secrets
sdk.unknown_checking_proxy = _tagging_proxy

_Servicer = sdk._PolicyAnalyzerServicer
_sdk_reporter = _Servicer._create_report_violation
_templates: dict[tuple[Any, ...], Any] = {}
"""A diagnostic with every field but `message` and `urn`, per policy and pack (a few dozen)."""


def _template(servicer: Any, key: tuple[Any, ...]) -> Any:
    pack, version, policy_name, description, enforcement_level, severity = key
    template = sdk.proto.AnalyzeDiagnostic(
        policyName=policy_name,
        policyPackName=pack,
        policyPackVersion=version,
        description=description,
        enforcementLevel=servicer._map_enforcement_level(enforcement_level),
        severity=servicer._map_severity(severity),
    )
    return _templates.setdefault(key, template)


def _create_report_violation(
    self: Any,
    response: Any,
    policy_name: str,
    policy_description: str,
    enforcement_level: Any,
    severity: Any = None,
) -> Any:
    """The SDK's `report_violation` for one policy, with the same diagnostics, built in place
    (made for every policy on every request: the work waits for a violation)."""

    def report_violation(message: str, urn: str | None = None) -> None:
        if message and not isinstance(message, str):
            raise TypeError("Expected message to be a string")
        if urn is not None and not isinstance(urn, str):
            raise TypeError("Expected urn to be a string")
        pack = getattr(self, "_PolicyAnalyzerServicer__policy_pack_name", None)
        version = getattr(self, "_PolicyAnalyzerServicer__policy_pack_version", None)
        if not isinstance(pack, str) or not isinstance(version, str):  # the SDK moved them
            sdk_report = _sdk_reporter(
                self, response, policy_name, policy_description, enforcement_level, severity
            )
            sdk_report(message, urn)
            return
        key = (pack, version, policy_name, policy_description, enforcement_level, severity)
        template = _templates.get(key)
        if template is None:
            template = _template(self, key)
        diagnostic = response.diagnostics.add()
        try:
            diagnostic.CopyFrom(template)
            diagnostic.message = (
                f"{policy_description}\n{message}" if message else policy_description
            )
            if urn:
                diagnostic.urn = urn
        except BaseException:  # a string protobuf cannot encode: nothing half-built is left
            del response.diagnostics[-1]
            raise

    return report_violation


_Servicer._create_report_violation = _create_report_violation


def plain(value: Any) -> Any:
    """A plain copy of SDK props: unknowns as `UNKNOWN`, secrets as imagepin `Secret`.

    The SDK's proxies are read through their targets (as its own serializer does), so an
    unknown is seen as its sentinel instead of raising; other mappings and sequences through the
    public interface, where an unknown raises `UnknownValueError`.
    """
    kind = type(value)
    if kind is str:
        return UNKNOWN if value in UNKNOWN_SENTINELS else value
    if value is None or kind in (bool, int, float):
        return value
    if kind is _DictProxy or kind is dict:
        target = value["__target"] if kind is _DictProxy else value
        return {k: plain(v) for k, v in target.items()}
    if kind is _ListProxy or kind is list:
        return [plain(v) for v in (value["__target"] if kind is _ListProxy else value)]
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


def same(value: Any, known: Any) -> bool:
    """Whether SDK props `value` are what `plain` made `known` from (without copying them)."""
    kind = type(value)
    if kind is str:
        return known is UNKNOWN if value in UNKNOWN_SENTINELS else value == known
    if kind is _DictProxy or kind is dict:
        target = value["__target"] if kind is _DictProxy else value
        if type(known) is not dict or len(target) != len(known):
            return False
        return all(k in known and same(v, known[k]) for k, v in target.items())
    if kind is _ListProxy or kind is list:
        items = value["__target"] if kind is _ListProxy else value
        if type(known) is not list or len(items) != len(known):
            return False
        return all(same(v, k) for v, k in zip(items, known, strict=True))
    if isinstance(value, pulumi_policy.Secret):
        return isinstance(known, Secret) and same(value.value, known.value)
    return type(known) is kind and bool(value == known)
