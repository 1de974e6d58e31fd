"""The policy pack through its real gRPC analyzer, driven the way the Pulumi engine drives it:
GetAnalyzerInfo, Configure, Analyze, AnalyzeStack and Remediate, with resources shaped like the
provider resources (camelCase props, wire-format secrets, unknown sentinels)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from analyzer import ROOT, UNKNOWN, Analyzer, diagnostics, not_applicable, properties, secret, urn
from google.protobuf import json_format
from pulumi.runtime.proto import analyzer_pb2

from imagepin.rules import RULES

A = "sha256:" + "a" * 64
B = "sha256:" + "b" * 64
GOOD_DOCKERFILE = (
    f"FROM python:3.12-slim-bookworm@{B}\nWORKDIR /usr/src/app\nCOPY requirements.txt ./\n"
    "RUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\nUSER 10001\n"
    'CMD ["python", "-m", "app"]\n'
)
IMAGE = "docker-build:index:Image"
CONTAINER = "docker:index/container:Container"


@pytest.fixture(scope="module")
def lock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("lock") / "images.lock"
    entry = {
        "digest": B,
        "media_type": "application/vnd.oci.image.index.v1+json",
        "platforms": {"linux/amd64": "sha256:" + "c" * 64},
        "registry": "docker.io",
        "resolved_at": "2026-11-25T00:00:00Z",
    }
    path.write_text(json.dumps({"version": 1, "images": {"python:3.12-slim-bookworm": entry}}))
    return path


@pytest.fixture(scope="module")
def pack() -> Iterator[Analyzer]:
    analyzer = Analyzer.start()
    yield analyzer
    analyzer.stop()


@pytest.fixture
def prod(pack: Analyzer, lock_file: Path) -> Analyzer:
    """The pack configured like the prod stack (policies/config/prod.json, lock from tmp)."""
    config: dict[str, Any] = json.loads((ROOT / "policies" / "config" / "prod.json").read_text())
    for name in ("PIN001", "PIN002"):
        config[name] = {"enforcementLevel": "mandatory", "lockFile": str(lock_file)}
    pack.configure(config)
    return pack


def good_image(**extra: Any) -> dict[str, Any]:
    return {
        "push": True,
        "tags": ["123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1"],
        "platforms": ["linux/amd64", "linux/arm64"],
        "dockerfile": {"inline": GOOD_DOCKERFILE},
        "context": {"location": "app"},
        **extra,
    }


def details(response: Any) -> dict[str, tuple[str, str]]:
    """policy -> (enforcement level, the message line after the policy description)."""
    return {p: (level, msg.split("\n", 1)[1]) for p, level, msg in diagnostics(response)}


def test_analyzer_info_lists_every_rule_as_a_policy(pack: Analyzer) -> None:
    info = pack.info()
    assert (info.name, info.displayName, info.supportsConfig) == ("imagepin", "imagepin", True)
    policies = {p.name: p for p in info.policies}
    assert list(policies) == list(RULES)
    for rule_id, rule in RULES.items():
        policy = policies[rule_id]
        assert policy.description == f"{rule.title}: {rule.rationale}"
        assert policy.remediation_steps == rule.fix
        expected = (
            analyzer_pb2.MANDATORY if rule.severity.value == "error" else analyzer_pb2.ADVISORY
        )
        assert policy.enforcementLevel == expected, rule_id
        kind = (
            analyzer_pb2.POLICY_TYPE_STACK
            if rule_id == "OPS001"
            else analyzer_pb2.POLICY_TYPE_RESOURCE
        )
        assert policy.policy_type == kind
    schema = json_format.MessageToDict(policies["REG001"].configSchema.properties)
    assert schema["allowedRegistries"]["type"] == "array"
    assert set(policies["ARCH001"].configSchema.properties) == {"requiredPlatforms"}
    assert set(policies["PY002"].configSchema.properties) == {"allowPrerelease"}
    assert set(policies["PIN001"].configSchema.properties) == {"lockFile"}
    # no default: the engine fills schema defaults in, and a default lockFile that does not
    # exist would fail every image
    lock_schema = json_format.MessageToDict(policies["PIN001"].configSchema.properties)
    assert "default" not in lock_schema["lockFile"]
    assert policies["SEC001"].severity == analyzer_pb2.POLICY_SEVERITY_HIGH
    assert policies["DF003"].severity == analyzer_pb2.POLICY_SEVERITY_LOW


def test_a_compliant_image_and_unrelated_resources_pass(prod: Analyzer) -> None:
    assert diagnostics(prod.analyze(IMAGE, "app", good_image())) == []
    assert diagnostics(prod.analyze("aws:s3/bucket:Bucket", "b", {"bucket": "x"})) == []
    healthy = {
        "image": f"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@{A}",
        "healthcheck": {"tests": ["CMD", "python", "-c", "1"]},
    }
    assert diagnostics(prod.analyze(CONTAINER, "web", healthy)) == []


def test_a_bad_image_gets_each_rule_at_its_configured_level(prod: Analyzer) -> None:
    dockerfile = "FROM python:3.12-bookworm\nRUN pip install flask\nCMD python app.py\n"
    props = good_image(
        tags=["quay.io/acme/app:1"],
        platforms=["linux/amd64"],
        dockerfile={"inline": dockerfile},
        buildArgs={"GITHUB_TOKEN": "t"},
    )
    found = details(prod.analyze(IMAGE, "app", props))
    assert list(found) == [
        "PIN001", "VAR001", "ARCH001", "DF001", "DF002", "DF004", "SEC001", "REG001",
    ]  # fmt: skip
    assert found["PIN001"] == (
        "mandatory",
        "resource app, inline Dockerfile line 1: FROM python:3.12-bookworm in stage 0 has no "
        "digest, so the base can change under the same tag without a change in review; record "
        "it with `imagepin lock add python:3.12-bookworm` and write "
        "FROM python:3.12-bookworm@sha256:<digest from images.lock>",
    )
    assert found["ARCH001"] == (
        "mandatory",
        'resource app: docker-build:index:Image "app" pushes an image for linux/amd64, but the '
        "stack requires linux/amd64, linux/arm64: missing linux/arm64; add it to platforms",
    )
    assert [found[p][0] for p in ("VAR001", "DF001", "DF002", "DF004")] == [
        "mandatory", "advisory", "advisory", "mandatory",
    ]  # fmt: skip
    assert found["REG001"][1].startswith(
        'resource app: docker-build:index:Image "app" pushes quay.io/acme/app:1 (tags[0]) to '
        "quay.io, which is not an allowed registry (docker.io, *.dkr.ecr.*.amazonaws.com)"
    )


def test_disabled_policies_stay_quiet(pack: Analyzer) -> None:
    pack.configure({"all": "disabled", "DF002": "advisory"})
    props = good_image(dockerfile={"inline": "FROM python:3.12\nCMD python app.py\n"})
    assert [p for p, _, _ in diagnostics(pack.analyze(IMAGE, "app", props))] == ["DF002"]


def test_secrets_are_seen_but_never_shown(prod: Analyzer) -> None:
    props = good_image(buildArgs={"DB_URL": secret("postgres://app:hunter2@db/app")})
    response = prod.analyze(IMAGE, "app", props)
    assert details(response)["SEC001"] == (
        "mandatory",
        'resource app: docker-build:index:Image "app" passes build arg DB_URL, which is a '
        "Pulumi secret, but build args are stored in the image history in plain text; pass it "
        "in the image's secrets and read it with RUN --mount=type=secret,id=DB_URL",
    )
    assert "hunter2" not in str(response)
    inline_secret = good_image(dockerfile=secret({"inline": "FROM python:3.12\n"}))
    assert "PIN001" in details(prod.analyze(IMAGE, "app", inline_secret))


def test_unknown_values_are_skipped_with_a_note_not_reported(prod: Analyzer) -> None:
    props = good_image(dockerfile={"inline": UNKNOWN}, platforms=UNKNOWN, tags=[UNKNOWN])
    response = prod.analyze(IMAGE, "app", props)
    assert diagnostics(response) == []
    reasons = not_applicable(response)
    assert reasons["PIN001"] == (
        'resource app: docker-build:index:Image "app": its Dockerfile is unknown at preview'
    )
    assert reasons["ARCH001"] == (
        'resource app: docker-build:index:Image "app": platforms is unknown at preview'
    )
    container = prod.analyze(CONTAINER, "web", {"image": UNKNOWN, "healthcheck": UNKNOWN})
    assert diagnostics(container) == []
    assert not_applicable(container)["PIN003"].endswith(
        "image is unknown at preview (an output of another resource), so it is checked once known"
    )


def test_workloads_by_tag_and_without_health_checks(prod: Analyzer) -> None:
    found = details(prod.analyze(CONTAINER, "web", {"image": "nginx:1.27"}))
    assert list(found) == ["PIN003", "OPS002"]
    assert found["PIN003"][0] == "mandatory" and found["OPS002"][0] == "advisory"
    defs = json.dumps([{"name": "app", "image": "acme/app:1"}])
    ecs = details(
        prod.analyze("aws:ecs/taskDefinition:TaskDefinition", "svc", {"containerDefinitions": defs})
    )
    assert ecs["OPS002"][1] == (
        'resource svc: aws:ecs/taskDefinition:TaskDefinition "svc" declares no health check for '
        "containerDefinitions[0] (app), so traffic keeps going to a container that is up but "
        'broken; add "healthCheck": {"command": ["CMD-SHELL", "..."]} to the container definition'
    )


def test_a_components_suppress_covers_its_children(prod: Analyzer) -> None:
    parent = urn("imagepin:index:PythonImage", "legacy")
    component = {"suppress": {"DF004": "binds port 80 in the legacy box"}, "push": True}
    assert diagnostics(prod.analyze("imagepin:index:PythonImage", "legacy", component)) == []
    root_image = good_image(dockerfile={"inline": GOOD_DOCKERFILE.replace("USER 10001\n", "")})
    child = prod.analyze(
        IMAGE, "legacy-image", root_image,
        parent=parent, the_urn=urn(IMAGE, "legacy-image", ["imagepin:index:PythonImage"]),
    )  # fmt: skip
    assert diagnostics(child) == []
    orphan = prod.analyze(IMAGE, "other-image", root_image)
    assert [p for p, _, _ in diagnostics(orphan)] == ["DF004"]


def test_a_components_suppress_unknown_at_preview_blocks_nothing_under_it(
    prod: Analyzer,
) -> None:
    parent = urn("imagepin:index:PythonImage", "later")
    component = {"suppress": UNKNOWN, "push": True}
    assert diagnostics(prod.analyze("imagepin:index:PythonImage", "later", component)) == []
    root_image = good_image(dockerfile={"inline": GOOD_DOCKERFILE.replace("USER 10001\n", "")})
    child = prod.analyze(
        IMAGE, "later-image", root_image,
        parent=parent, the_urn=urn(IMAGE, "later-image", ["imagepin:index:PythonImage"]),
    )  # fmt: skip
    assert diagnostics(child) == []
    assert not_applicable(child)["DF004"].endswith(
        'the suppress of imagepin:index:PythonImage "later" is unknown until deployment and '
        "may cover DF004)"
    )


def test_a_suppression_without_reason_is_reported(prod: Analyzer) -> None:
    response = prod.analyze("imagepin:index:PythonImage", "lazy", {"suppress": {"DF004": ""}})
    assert details(response) == {
        "SUP001": (
            "mandatory",
            'resource lazy: imagepin:index:PythonImage "lazy" suppresses DF004 without a '
            'reason, so it suppresses nothing; write suppress={"DF004": "<why this is '
            'acceptable>"}',
        )
    }


def test_ops001_through_analyze_stack(prod: Analyzer) -> None:
    def stack(retain: bool | None) -> list[dict[str, Any]]:
        comp_urn = urn("imagepin:index:PythonImage", "api")
        component_props: dict[str, Any] = {"push": True}
        if retain is not None:
            component_props["retainOnDelete"] = retain
        return [
            {"type": "imagepin:index:PythonImage", "name": "api", "props": component_props,
             "urn": comp_urn},
            {"type": IMAGE, "name": "api-image", "props": good_image(), "parent": comp_urn,
             "urn": urn(IMAGE, "api-image", ["imagepin:index:PythonImage"])},
        ]  # fmt: skip

    response = prod.analyze_stack(stack(retain=False))
    (diagnostic,) = response.diagnostics
    assert diagnostic.policyName == "OPS001"
    assert diagnostic.urn == urn(IMAGE, "api-image", ["imagepin:index:PythonImage"])
    assert diagnostic.enforcementLevel == analyzer_pb2.MANDATORY
    assert diagnostic.message.split("\n", 1)[1] == (
        'resource api-image: docker-build:index:Image "api-image" pushes '
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1 but is not retained on delete, so "
        "replacing or destroying it deletes the published image; set "
        "opts=ResourceOptions(retain_on_delete=True)"
    )
    assert prod.analyze_stack(stack(retain=True)).diagnostics == []
    unknown = prod.analyze_stack(stack(retain=None))
    assert unknown.diagnostics == []
    assert not_applicable(unknown)["OPS001"] == (
        'resource api-image: docker-build:index:Image "api-image": the retainOnDelete option is '
        "not known here, so OPS001 is not checked (`imagepin check --stack` sees resource "
        "options)"
    )


def test_pin001_remediation_pins_from_the_lock(pack: Analyzer, lock_file: Path) -> None:
    pack.configure({"PIN001": {"enforcementLevel": "remediate", "lockFile": str(lock_file)}})
    inline = "FROM python:3.12-slim-bookworm\nUSER 10001\n"
    response = pack.remediate(IMAGE, "app", good_image(dockerfile={"inline": inline}))
    (remediation,) = response.remediations
    assert remediation.policyName == "PIN001"
    fixed = properties(remediation)
    assert fixed["dockerfile"] == {"inline": f"FROM python:3.12-slim-bookworm@{B}\nUSER 10001\n"}
    assert fixed["tags"] == good_image()["tags"]
    assert pack.remediate(IMAGE, "app", good_image()).remediations == []
    # still a mandatory violation in Analyze when remediation cannot fix it
    unlocked = good_image(dockerfile={"inline": "FROM python:3.13-slim-bookworm\n"})
    assert details(pack.analyze(IMAGE, "app", unlocked))["PIN001"][0] == "mandatory"


def test_a_config_mistake_is_reported_not_a_crash(pack: Analyzer) -> None:
    pack.configure({"PIN001": {"enforcementLevel": "mandatory", "lockFile": "no/such.lock"}})
    found = details(pack.analyze(IMAGE, "app", good_image()))
    assert found["PIN001"][1].startswith(
        "docker-build:index:Image 'app': lockFile 'no/such.lock' was not found"
    )


def test_without_a_lock_file_a_pinned_image_passes(pack: Analyzer, tmp_path: Path) -> None:
    # the config the engine sends when the stack names no lockFile; no images.lock anywhere
    fresh = Analyzer.start(cwd=tmp_path)
    try:
        fresh.configure({"PIN001": "mandatory", "PIN002": "mandatory"})
        assert diagnostics(fresh.analyze(IMAGE, "app", good_image())) == []
    finally:
        fresh.stop()


def test_a_suppress_removed_from_a_component_no_longer_covers_its_children(
    prod: Analyzer,
) -> None:
    kind = "acme:index:Service"  # not one of ours: only its `suppress` makes it remembered
    parent = urn(kind, "svc")
    child_urn = urn(IMAGE, "svc-image", [kind])
    root_image = good_image(dockerfile={"inline": GOOD_DOCKERFILE.replace("USER 10001\n", "")})
    prod.analyze(kind, "svc", {"suppress": {"DF004": "binds port 80 in the legacy box"}})
    child = prod.analyze(IMAGE, "svc-image", root_image, parent=parent, the_urn=child_urn)
    assert diagnostics(child) == []
    prod.analyze(kind, "svc", {})
    for _ in range(4):  # the same request again, on whichever gRPC thread serves it
        child = prod.analyze(IMAGE, "svc-image", root_image, parent=parent, the_urn=child_urn)
        assert [p for p, _, _ in diagnostics(child)] == ["DF004"]


def test_concurrent_requests_on_a_fresh_pack_all_get_their_findings() -> None:
    fresh = Analyzer.start()
    try:
        fresh.configure({"DF004": "mandatory"})
        root_image = good_image(dockerfile={"inline": GOOD_DOCKERFILE.replace("USER 10001\n", "")})

        def one(i: int) -> list[str]:
            props = root_image if i % 2 else good_image()
            return [p for p, _, _ in diagnostics(fresh.analyze(IMAGE, f"app{i}", props))]

        with ThreadPoolExecutor(max_workers=16) as pool:
            found = list(pool.map(one, range(64)))
        assert found == [["DF004"] if i % 2 else [] for i in range(64)]
    finally:
        fresh.stop()


def test_ops001_names_the_right_resource_when_names_repeat(prod: Analyzer) -> None:
    def component(name: str, retain: Any) -> list[dict[str, Any]]:
        comp_urn = urn("imagepin:index:PythonImage", name)
        return [
            {"type": "imagepin:index:PythonImage", "name": name, "urn": comp_urn,
             "props": {"push": True, "retainOnDelete": retain}},
            {"type": IMAGE, "name": "api-image", "props": good_image(), "parent": comp_urn,
             "urn": f"{comp_urn}$docker-build:index:Image::api-image"},
        ]  # fmt: skip

    response = prod.analyze_stack(component("api", False) + component("api2", True))
    assert [d.urn for d in response.diagnostics] == [
        urn("imagepin:index:PythonImage", "api") + "$docker-build:index:Image::api-image"
    ]
    both = prod.analyze_stack(component("api", False) + component("api2", False))
    assert len({d.urn for d in both.diagnostics}) == 2
    secret_retain = prod.analyze_stack(component("api", secret(True)))
    assert secret_retain.diagnostics == []
    assert "OPS001" not in not_applicable(secret_retain)


def test_values_held_in_secrets_never_reach_a_message(prod: Analyzer) -> None:
    host = "registry.internal.example:5000"
    withheld = "(details withheld: they would show a value held in a Pulumi secret)"
    container = prod.analyze(CONTAINER, "web", {"image": secret(f"{host}/stealth/app:1")})
    assert details(container)["PIN003"][1] == (
        f"resource web: Workload image not referenced by digest {withheld}"
    )
    defs = secret(json.dumps([{"name": "app", "image": f"{host}/app:1"}]))
    task = prod.analyze(
        "aws:ecs/taskDefinition:TaskDefinition", "svc", {"containerDefinitions": defs}
    )
    assert details(task)["PIN003"][1].endswith(withheld)
    inline = f"ARG REG\nFROM ${{REG}}/python:3.12-slim-bookworm@{B}\nUSER 10001\n"
    image = prod.analyze(
        IMAGE, "app", good_image(dockerfile={"inline": inline}, buildArgs={"REG": secret(host)})
    )
    assert details(image)["REG001"][1].endswith(withheld)
    for response in (container, task, image):
        assert "registry.internal" not in str(response) and "stealth" not in str(response)
    hidden = "FROM python:3.12\nRUN pip install hunter2-internal\n"
    secret_file = prod.analyze(IMAGE, "app", good_image(dockerfile={"inline": secret(hidden)}))
    assert details(secret_file)["DF001"][1] == (
        "resource app, inline Dockerfile line 2: pip or uv install keeps its download cache "
        "(details withheld: the Dockerfile is a Pulumi secret; check it with `imagepin check "
        "--dockerfile` where it can be read)"
    )
    assert "hunter2" not in str(secret_file)
    # a secret that no message shows takes nothing away from the findings
    token = prod.analyze(IMAGE, "app", good_image(buildArgs={"NPM_TOKEN": secret("npm_s3cr3t")}))
    assert details(token)["SEC001"][1].startswith(
        'resource app: docker-build:index:Image "app" passes build arg NPM_TOKEN, which is a '
        "Pulumi secret"
    )


def test_absurdly_nested_json_is_a_note_not_a_crash(prod: Analyzer) -> None:
    defs = "[" * 5000 + "]" * 5000
    response = prod.analyze(
        "aws:ecs/taskDefinition:TaskDefinition", "svc", {"containerDefinitions": defs}
    )
    assert "nested too deeply" in not_applicable(response)["PIN003"]


def test_pin001_remediation_leaves_suppressed_froms_alone(pack: Analyzer, lock_file: Path) -> None:
    pack.configure({"PIN001": {"enforcementLevel": "remediate", "lockFile": str(lock_file)}})
    parent = urn("imagepin:index:PythonImage", "legacy")
    reason = {"PIN001": "tracks the moving tag on purpose"}
    pack.analyze("imagepin:index:PythonImage", "legacy", {"suppress": reason})
    unpinned = good_image(dockerfile={"inline": "FROM python:3.12-slim-bookworm\nUSER 10001\n"})
    child = pack.stub.Remediate(Analyzer.request(IMAGE, "legacy-image", unpinned, parent=parent))
    assert child.remediations == []
    own = pack.remediate(IMAGE, "app", unpinned | {"suppress": reason})
    assert own.remediations == []
    commented = "# imagepin: ignore PIN001 -- tracks on purpose\nFROM python:3.12-slim-bookworm\n"
    assert (
        pack.remediate(IMAGE, "app", good_image(dockerfile={"inline": commented})).remediations
        == []
    )
    continued = "FROM \\\n  python:3.12-slim-bookworm AS app\nUSER 10001\n"
    (fixed,) = pack.remediate(
        IMAGE, "app", good_image(dockerfile={"inline": continued})
    ).remediations
    assert properties(fixed)["dockerfile"] == {
        "inline": f"FROM \\\n  python:3.12-slim-bookworm@{B} AS app\nUSER 10001\n"
    }


def test_a_config_key_on_the_wrong_policy_is_reported(pack: Analyzer) -> None:
    pack.configure({"PIN001": {"enforcementLevel": "mandatory", "allowedRegistries": ["x"]}})
    assert details(pack.analyze(IMAGE, "app", good_image()))["PIN001"][1] == (
        "docker-build:index:Image 'app': policy config key 'allowedRegistries' does nothing on "
        "this policy (it reads lockFile); set it on the policy of the rule that uses it "
        "(docs/RULES.md lists each rule's keys)"
    )


def test_each_diagnostic_carries_every_field_the_sdk_sets(prod: Analyzer) -> None:
    props = good_image(tags=["quay.io/acme/app:1"], platforms=["linux/amd64"])
    response = prod.analyze(IMAGE, "app", props)
    described = {p.name: p for p in prod.info().policies}
    assert [d.policyName for d in response.diagnostics] == ["ARCH001", "REG001"]
    for d in response.diagnostics:
        policy = described[d.policyName]
        # the SDK always says 0.0.1; the CLI takes the version from PulumiPolicy.yaml
        assert (d.policyPackName, d.policyPackVersion, d.urn) == ("imagepin", "0.0.1", "")
        assert d.description == policy.description
        assert d.message.startswith(policy.description + "\nresource app: ")
        assert d.enforcementLevel == analyzer_pb2.MANDATORY
        assert d.severity == analyzer_pb2.POLICY_SEVERITY_HIGH


def test_the_bridges_reporter_builds_what_the_sdks_builds() -> None:
    import sys

    sys.path.insert(0, str(ROOT / "policies"))
    try:
        import sdk_bridge
        from pulumi_policy import EnforcementLevel, Severity
    finally:
        sys.path.remove(str(ROOT / "policies"))
    servicer = object.__new__(sdk_bridge._Servicer)
    servicer._PolicyAnalyzerServicer__policy_pack_name = "imagepin"  # type: ignore[attr-defined]
    servicer._PolicyAnalyzerServicer__policy_pack_version = "0.1.0"  # type: ignore[attr-defined]
    calls = [("msg one", None), ("msg two", "urn:pulumi:s::p::t::n"), ("", None), ("x", "")]
    for level in EnforcementLevel:
        for severity in [None, *Severity]:
            built = []
            for reporter in (sdk_bridge._sdk_reporter, sdk_bridge._create_report_violation):
                response = analyzer_pb2.AnalyzeResponse()
                report = reporter(servicer, response, "DF001", "Title: why.", level, severity)
                for message, where in calls:
                    report(message, where)
                with pytest.raises(TypeError):
                    report(3, None)  # type: ignore[arg-type]
                with pytest.raises(TypeError):
                    report("m", 3)  # type: ignore[arg-type]
                built.append(response.SerializeToString(deterministic=True))
            assert built[0] == built[1] and len(built[0]) > 0
    for reporter in (sdk_bridge._sdk_reporter, sdk_bridge._create_report_violation):
        response = analyzer_pb2.AnalyzeResponse()
        report = reporter(servicer, response, "DF001", "d", EnforcementLevel.ADVISORY, None)
        with pytest.raises(UnicodeEncodeError):
            report("a lone surrogate \udc80", None)
        assert len(response.diagnostics) == 0  # nothing half-built is left behind
    bare = object.__new__(sdk_bridge._Servicer)  # the SDK moved the pack's name: its own reporter
    response = analyzer_pb2.AnalyzeResponse()
    with pytest.raises(AttributeError):
        sdk_bridge._create_report_violation(
            bare, response, "DF001", "d", EnforcementLevel.ADVISORY
        )("m")
