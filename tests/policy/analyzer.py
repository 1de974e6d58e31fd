"""A client for the policy pack's real gRPC analyzer, as the Pulumi engine drives it.

`Analyzer.start()` runs `python -u -m pulumi.policy 127.0.0.1:0 policies` (what the CLI runs),
reads the port it prints and connects; requests are built like the engine builds them:
camelCase property names, secrets as `{SIG: SECRET_SIG, "value": ...}`, unknowns as sentinels.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

ROOT = Path(__file__).resolve().parents[2]
SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
LEVELS = {
    "advisory": analyzer_pb2.ADVISORY,
    "mandatory": analyzer_pb2.MANDATORY,
    "remediate": analyzer_pb2.REMEDIATE,
    "disabled": analyzer_pb2.DISABLED,
}


def secret(value: Any) -> dict[str, Any]:
    return {SIG: SECRET_SIG, "value": value}


def urn(kind: str, name: str, parents: Sequence[str] = ()) -> str:
    chain = "$".join([*parents, kind])
    return f"urn:pulumi:prod::imagepin::{chain}::{name}"


def struct(props: Mapping[str, Any]) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(dict(props))
    return s


class Analyzer:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(self.channel).result(timeout=30)
        self.stub = analyzer_pb2_grpc.AnalyzerStub(self.channel)

    @classmethod
    def start(cls, floor: bool = False, cwd: Path = ROOT) -> Analyzer:
        env = dict(os.environ, IMAGEPIN_POLICY_FLOOR="1" if floor else "0")
        process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.policy", "127.0.0.1:0", str(ROOT / "policies")],
            stdout=subprocess.PIPE,
            cwd=cwd,
            env=env,
        )
        assert process.stdout is not None
        line = process.stdout.readline().decode().strip()
        if not line.isdigit():
            process.kill()
            raise RuntimeError(f"the policy pack did not print a port: {line!r}")
        return cls(process, int(line))

    def stop(self) -> None:
        self.channel.close()
        self.process.terminate()
        self.process.wait(timeout=10)

    def info(self) -> analyzer_pb2.AnalyzerInfo:
        return self.stub.GetAnalyzerInfo(empty_pb2.Empty())

    def configure(self, config: Mapping[str, str | Mapping[str, Any]]) -> None:
        """Per-policy config: `{"PIN001": "mandatory", "REG001": {"enforcementLevel": ...}}`."""
        names = [p.name for p in self.info().policies] if "all" in config else []
        self.stub.Configure(configure_request(config, names))

    @staticmethod
    def request(
        kind: str, name: str, props: Mapping[str, Any], parent: str = "", the_urn: str = ""
    ) -> analyzer_pb2.AnalyzeRequest:
        return analyzer_pb2.AnalyzeRequest(
            urn=the_urn or urn(kind, name),
            type=kind,
            name=name,
            properties=struct(props),
            options=analyzer_pb2.AnalyzerResourceOptions(parent=parent),
        )

    def analyze(self, kind: str, name: str, props: Mapping[str, Any], **kw: str) -> Any:
        return self.stub.Analyze(self.request(kind, name, props, **kw))

    def analyze_stack(self, resources: Sequence[Mapping[str, Any]]) -> Any:
        """Each resource: {"type", "name", "props", optional "urn", "parent"}."""
        request = analyzer_pb2.AnalyzeStackRequest()
        for r in resources:
            request.resources.append(
                analyzer_pb2.AnalyzerResource(
                    urn=r.get("urn") or urn(r["type"], r["name"]),
                    type=r["type"],
                    name=r["name"],
                    properties=struct(r["props"]),
                    parent=r.get("parent", ""),
                )
            )
        return self.stub.AnalyzeStack(request)

    def remediate(self, kind: str, name: str, props: Mapping[str, Any]) -> Any:
        return self.stub.Remediate(self.request(kind, name, props))


def configure_request(
    config: Mapping[str, str | Mapping[str, Any]], policies: Sequence[str] = ()
) -> analyzer_pb2.ConfigureAnalyzerRequest:
    """The Configure request the engine sends for a pack config (`all` applies to `policies`)."""
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    expanded = dict(config)
    if "all" in expanded:  # the engine gives every policy the `all` level, then overrides
        every = expanded.pop("all")
        expanded = dict.fromkeys(policies, every) | expanded
    for name, value in expanded.items():
        props = {"enforcementLevel": value} if isinstance(value, str) else dict(value)
        level = props.pop("enforcementLevel", "advisory")
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=LEVELS[level], properties=struct(props))
        )
    return request


def diagnostics(response: Any) -> list[tuple[str, str, str]]:
    """(policy, enforcement level, message) of each diagnostic."""
    names = {v: k for k, v in LEVELS.items()}
    return [(d.policyName, names[d.enforcementLevel], d.message) for d in response.diagnostics]


def not_applicable(response: Any) -> dict[str, str]:
    return {n.policy_name: n.reason for n in response.not_applicable}


def properties(remediation: Any) -> dict[str, Any]:
    return json_format.MessageToDict(remediation.properties)


def wire(value: Any) -> Any:
    """A recorded value as the engine sends it to analyzers (secrets wrapped, unknowns as
    sentinels)."""
    kind = type(value).__name__
    if kind == "Secret":
        return secret(wire(value.value))
    if kind == "Unknown":
        return UNKNOWN
    if isinstance(value, dict):
        return {k: wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [wire(v) for v in value]
    return value


def digest(text: str) -> str:
    """A made-up digest, stable for `text` (nothing is pulled under mocks)."""
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
