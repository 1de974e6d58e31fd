"""DF001 after the second review: one reading of pip's command line, pip's help is no install,
the RUN is read in linear time and space, child shells keep their variables to themselves, and
a user-switching wrapper (gosu, su-exec, sudo -u, doas -u) runs pip with that user's home."""

from __future__ import annotations

from imagepin.rules import pip_options
from imagepin.rules.shell import pip_install
from tests.unit.test_rules_audit_df001 import pip
from tests.unit.test_rules_df import found


def test_pip_install_is_read_with_pips_abbreviated_options() -> None:
    text = (
        "FROM a\nRUN pip --prox http://proxy:3128 install flask\n"
        "RUN pip --prox http://proxy:3128 --no-cache install flask\n"
        "RUN python -m pip --ret 3 install -r r.txt\nRUN pip --log l download x\n"
    )
    assert found(text, "DF001") == [
        pip(
            2,
            "pip --prox http://proxy:3128 install flask",
            "pip --prox http://proxy:3128 install --no-cache-dir flask",
        ),
        pip(
            4,
            "python -m pip --ret 3 install -r r.txt",
            "python -m pip --ret 3 install --no-cache-dir -r r.txt",
        ),
    ]
    assert pip_install(("pip", "--prox", "P", "install", "x")) == ("x",)
    words = ["sudo", "pip3", "--retr", "3", "install", "-qr", "r.txt"]
    assert pip_install(words) == ["-qr", "r.txt"]
    assert pip_install(("pip", "--prox", "install", "x")) is None  # `install` is the proxy


def test_pip_that_only_prints_help_or_its_version_installs_nothing() -> None:
    text = (
        "FROM a\nRUN pip install --help && uv pip install --help\nRUN pip install -h\n"
        "RUN pip install --he\nRUN pip -h install x\nRUN pip --version install x\n"
        "RUN pip -V install x\nRUN pip install -r -h\nRUN pip install --version x\n"
    )
    assert found(text, "DF001") == [
        pip(8, "pip install -r -h", "pip install --no-cache-dir -r -h"),
        pip(9, "pip install --version x", "pip install --no-cache-dir --version x"),
    ]
    assert pip_options.install_at(["--timeout", "5", "install", "x"]) == 2
    assert pip_options.install_at(["install", "-qh", "x"]) is None
    assert pip_options.install_at(["-q", "download", "install"]) is None
    assert pip_options.install_at(["-q"]) is None
