"""Audit fixes: DF005 takes `apt-get dist-clean` and a removal of a directory above the lists for
cleaning them."""

from __future__ import annotations

from imagepin.check import check_text
from imagepin.rules import RULES, Settings


def found(text: str, rule: str) -> list[tuple[int, str]]:
    report = check_text(text, Settings(), [RULES[rule]])
    assert all(v.rule == rule and v.severity is RULES[rule].severity for v in report.violations)
    return [(v.line or 0, v.message) for v in report.violations]


# --- DF005 ------------------------------------------------------------------------------------

INSTALL = "apt-get update && apt-get install -y --no-install-recommends curl"
LISTS = "leaves /var/lib/apt/lists in the layer (end the same RUN with rm -rf /var/lib/apt/lists/*)"


def test_df005_accepts_apt_get_dist_clean() -> None:
    """apt 2.7.8+ `distclean` (alias `dist-clean`, in apt-get and apt) removes the lists but
    the Release files (apt-get(8)); docker-library/python's trixie images end their RUNs so."""
    cleans = [
        "apt-get dist-clean",
        "apt-get distclean",
        "apt dist-clean",
        "apt-get -qq dist-clean",
        "apt-get -o Debug::NoLocking=1 dist-clean",
        "sudo /usr/bin/apt-get dist-clean",
    ]
    text = "FROM a\n" + "".join(f"RUN {INSTALL} && {clean}\n" for clean in cleans)
    assert found(text, "DF005") == []


def test_df005_accepts_removing_the_lists_or_a_directory_above_them() -> None:
    removals = [
        "rm -rf /var/lib/apt/lists/*",
        "rm -rf /var/lib/apt/lists/",
        "rm -r /var/lib/apt/lists",
        "rm -f /var/lib/apt/lists/*",  # files only: the lists are files
        "rm -rf /var/lib/apt",
        "rm -rf /var/lib/apt/",
        "rm -rf /var/lib/apt/*",
        "rm --recursive --force /var/lib/apt",
        "rm -Rf /var/lib/*",  # takes dpkg's database too, but the lists are gone
        "rm -rf /var",
        "find /var/lib/apt -type f -delete",
        "find /var/lib/apt/ /var/cache/apt/ -type f -delete",
    ]
    text = "FROM a\n" + "".join(f"RUN {INSTALL} && {removal}\n" for removal in removals)
    assert found(text, "DF005") == []


def test_df005_still_reports_what_leaves_the_lists() -> None:
    leaves = [
        "apt-get clean",  # the downloaded .debs only
        "apt-get autoclean",
        "apt-get -s dist-clean",  # simulates
        "rm -f /var/lib/apt",  # rm refuses a directory without -r
        "rm -f /var/lib/apt/*",  # the files directly there; lists/ is a directory
        "rm -rf /var/lib/apt/lists.old",
        "rm -rf /var/cache/apt/* /var/lib/dpkg/info/*.list",
        "rm -rf /",  # refused (--preserve-root)
        "find /var/lib/apt -name '*.bin' -delete",
        "echo apt-get dist-clean",
    ]
    text = "FROM a\n" + "".join(f"RUN {INSTALL} && {leave}\n" for leave in leaves)
    text += f"RUN {INSTALL}\nRUN apt-get dist-clean\n"  # another layer keeps them
    message = f"RUN apt-get install -y --no-install-recommends curl {LISTS}"
    assert found(text, "DF005") == [(line, message) for line in [*range(2, 12), 12]]


def test_df005_on_the_audits_trixie_dockerfile() -> None:
    text = (
        "FROM python:3.12-slim-trixie\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends curl && "
        "apt-get dist-clean\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends git && "
        "rm -rf /var/lib/apt\n"
        "USER 10001\n"
    )
    assert found(text, "DF005") == []
