"""SARIF 2.1.0 for GitHub code scanning: one run, the rules as `tool.driver.rules` metadata.

Dockerfile violations carry a physical location (the file as given, relative to the working
directory when possible, and the line). Resource violations carry a logical location (the
resource), and the physical location of `default_uri` (the program or stack file) when given,
since code scanning shows results only at a file.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath
from typing import Any

from imagepin import __version__
from imagepin.check import Report
from imagepin.rules import RULES
from imagepin.rules.base import Note, Rule, Severity, Violation

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/imagepin/imagepin/blob/main/docs/RULES.md"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_SECURITY = {Severity.ERROR: "8.0", Severity.WARNING: "5.0", Severity.INFO: "2.0"}


def artifact_uri(file: str) -> str:
    """A repository-relative POSIX path (relative to the working directory when inside it)."""
    path = Path(file)
    if path.is_absolute():
        try:
            path = path.relative_to(Path.cwd())
        except ValueError:
            return path.as_uri()
    return str(PurePosixPath(*path.parts)) if path.parts else "."


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
        "properties": {
            "tags": ["imagepin", *rule.scope],
            "security-severity": _SECURITY[rule.severity],
        },
    }


def _result(v: Violation, index: dict[str, int], default_uri: str | None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": v.rule,
        "level": _LEVEL[v.severity],
        "message": {"text": v.message if v.file else f"{v.where}: {v.message}"},
    }
    if v.rule in index:
        result["ruleIndex"] = index[v.rule]
    location: dict[str, Any] = {}
    uri = artifact_uri(v.file) if v.file else default_uri
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


def to_sarif(report: Report, default_uri: str | None = None) -> dict[str, Any]:
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
                "results": [_result(v, index, default_uri) for v in report.violations],
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


def render_sarif(report: Report, default_uri: str | None = None) -> str:
    return json.dumps(to_sarif(report, default_uri), indent=2)
