"""SARIF 2.1.0 for GitHub code scanning: one run, the rules as `tool.driver.rules` metadata.

Dockerfile violations carry a physical location: the file (a relative URI from the working
directory for a file under it, else an absolute `file://` URI: `artifact_uri`) and the line.
Resource violations carry a logical location (the resource), and the physical location of
`default_uri` (the program or stack file, a POSIX path relative to `base`, the project root) when
given, since code scanning shows results only at a file. Only rules about security carry a
`security-severity` (`SECURITY_RULES`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote_from_bytes

from imagepin import __version__
from imagepin.check import Report
from imagepin.rules import RULES
from imagepin.rules.base import Note, Rule, Severity, Violation

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/imagepin/imagepin/blob/main/docs/RULES.md"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SECURITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}

# Code scanning shows a rule with a `security-severity` as a security alert (critical to low by
# the score), the rest as plain errors, warnings and notes. Only rules whose finding is a risk an
# attacker can use, or a gap in the supply chain, carry one (scored by the rule's severity):
SECURITY_RULES = frozenset(
    {
        "PIN001",  # unpinned base: unreviewed content can enter a build (supply chain)
        "PIN002",  # digest other than the reviewed lock (supply chain)
        "PIN003",  # workloads run whatever a tag points to when pulled (supply chain)
        "PY001",  # Python past its end of life: no more security fixes
        "PY002",  # pre-release Python: no security support, never patched in place
        "VAR001",  # compilers and headers shipped in the final image: tools for an attacker
        "DF004",  # runs as root: a code-execution bug is root in the container
        "SEC001",  # a secret readable by anyone who can pull the image
        "REG001",  # images from an unvetted registry, outside the mirrors and scanning
    }
)
# Not security: PIN004 (the digest still pins the content; the tag only misleads reviewers),
# VAR002/VAR003/ARCH001 (builds and runs on the right platform and distro), DF001/DF002/DF003/
# DF005 (size, signals, caching), OPS001/OPS002 (availability), SUP001/SUP002 (review hygiene).


def artifact_uri(file: str, base: Path | None = None) -> str:
    """The `artifactLocation.uri` of `file`, named relative to `base` (default: the working
    directory; with --stack, the project root).

    The URI is relative to the working directory, where code scanning runs (the root of the
    checkout), whatever `base` is: the path with `..` folded and each part percent-encoded
    (`sp%20ace/Dockerfile`, `h%23ash/...`: a raw `#` would start a fragment and a raw `%20` would
    be read as a space). A file outside it (`../bad.Dockerfile`) gets an absolute `file://` URI,
    which upload-sarif makes relative when it is inside the checkout; a relative `../` cannot be
    resolved against the repository root.
    """
    checkout = Path(os.path.realpath(Path.cwd()))
    given = (checkout if base is None else Path(os.path.realpath(base))) / file
    # `..` after a symlink leads where the kernel goes, not where the text says: resolve those;
    # otherwise a symlinked file keeps the path it was given by
    absolute = Path(os.path.realpath(given) if ".." in given.parts else os.path.normpath(given))
    for path in (absolute, Path(os.path.realpath(absolute))):  # /tmp/x when /tmp is a symlink
        if path.is_relative_to(checkout):
            return relative_uri(path.relative_to(checkout).as_posix())
    return absolute.as_uri()


def relative_uri(posix_path: str) -> str:
    """A relative POSIX path as a relative URI reference: percent-encoded but for `/`."""
    return quote_from_bytes(os.fsencode(posix_path), safe="/") if posix_path else "."


def rule_metadata(rule: Rule) -> dict[str, Any]:
    anchor = rule.id.lower()
    return {
        "id": rule.id,
        "name": "".join(w.capitalize() for w in rule.title.replace("-", " ").split()),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.rationale},
        "help": {
            "text": f"{rule.rationale} Fix: {rule.fix}",
            "markdown": f"**{rule.id}: {rule.title}**\n\n{rule.rationale}\n\nFix: {rule.fix}",
        },
        "helpUri": f"{INFORMATION_URI}#{anchor}",
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": _properties(rule),
    }


def _properties(rule: Rule) -> dict[str, Any]:
    if rule.id not in SECURITY_RULES:
        return {"tags": ["imagepin", *rule.scope]}
    return {
        "tags": ["imagepin", "security", *rule.scope],
        "security-severity": _SECURITY[rule.severity],
    }


def _result(
    v: Violation, index: dict[str, int], default_uri: str | None, base: Path | None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": v.rule,
        "level": _LEVEL[v.severity],
        "message": {"text": v.message if v.file else f"{v.where}: {v.message}"},
    }
    if v.rule in index:
        result["ruleIndex"] = index[v.rule]
    location: dict[str, Any] = {}
    uri = artifact_uri(default_uri, base) if default_uri else None
    if v.file:
        uri = artifact_uri(v.file, base)
    if uri is not None:
        # a resource's finding is anchored at the top of the stack file (code scanning needs a
        # line); the fingerprint keeps two resources' findings apart there
        line = max(v.line, 1) if v.file and v.line is not None else 1
        physical: dict[str, Any] = {"artifactLocation": {"uri": uri}, "region": {"startLine": line}}
        location["physicalLocation"] = physical
        result["partialFingerprints"] = {
            "imagepin/v1": f"{v.rule}:{uri}:{v.line or 0}:{v.resource or ''}"
        }
    if v.resource is not None:
        location["logicalLocations"] = [{"name": v.resource, "kind": "resource"}]
    if location:
        result["locations"] = [location]
    return result


def _notification(note: Note, index: dict[str, int]) -> dict[str, Any]:
    found: dict[str, Any] = {"level": "note", "message": {"text": f"{note.where}: {note.message}"}}
    if note.rule in index:
        found["associatedRule"] = {"id": note.rule, "index": index[note.rule]}
    return found


def to_sarif(
    report: Report, default_uri: str | None = None, base: Path | None = None
) -> dict[str, Any]:
    """The SARIF log of `report`; file names are relative to `base` (default: the working
    directory), `default_uri` locates findings that have no file (see the module's doc)."""
    rules = list(RULES.values())
    index = {rule.id: i for i, rule in enumerate(rules)}
    return {
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "imagepin",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": [rule_metadata(rule) for rule in rules],
                    }
                },
                "results": [_result(v, index, default_uri, base) for v in report.violations],
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            _notification(n, index) for n in report.notes
                        ],
                    }
                ],
            }
        ],
    }


def render_sarif(report: Report, default_uri: str | None = None, base: Path | None = None) -> str:
    return json.dumps(to_sarif(report, default_uri, base), indent=2)
