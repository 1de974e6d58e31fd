"""`PythonImage`: a Python service image, its bases pinned from `images.lock`, built and pushed
for every platform as one index.

    image = PythonImage("api", {
        "app": "app", "repository": "127.0.0.1:5000/api", "python": "3.12",
        "command": ["python3", "-m", "service"], "port": 8000,
        "healthcheck": {"path": "/healthz"}, "platforms": ["linux/amd64", "linux/arm64"],
    })
    image.ref  # Output: 127.0.0.1:5000/api@sha256:... (the pushed index)

The Dockerfile is rendered by `imagepin.dockerfile` at program time (a plain string known at
preview) and passed inline, so a lock refresh changes it and triggers the rebuild. Children:
one `docker-build:index:Image`, or, with registry caching and several platforms, one image per
platform (each with its own cache ref: buildx's registry cache is unreliable for multi-platform
builds) joined by a `docker-build:index:Index`. Pushed images are retained on delete.
"""

# No `from __future__ import annotations` here: the component provider host reads the args'
# annotations at runtime to infer the package schema, and needs them as types, not strings.
import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypedDict

import pulumi
import pulumi_docker_build as db

from components._lock import load_lock
from imagepin.dockerfile import ImageSpec, base_labels, render, render_dockerignore
from imagepin.dockerfile_spec import DEFAULT_PLATFORMS
from imagepin.errors import ConfigError, LockError
from imagepin.lock import DEFAULT_PATH
from imagepin.lock import atomic_write as _atomic_write
from imagepin.refs import ImageReference, InvalidReference

TYPE = "imagepin:index:PythonImage"
# The provider's Platform enum names arm variants by their default: buildx reads linux/arm as
# v7 and linux/arm64 as v8. Other variants cannot be expressed through the provider's SDK.
_PROVIDER_PLATFORMS = {"linux/arm64/v8": "linux/arm64", "linux/arm/v7": "linux/arm"}
_ENUM = {p.value for p in db.Platform}


class HealthcheckArgs(TypedDict, total=False):
    """An HTTP probe of the app: GET http://127.0.0.1:<port><path> must answer 2xx."""

    path: str
    port: int
    interval: int
    timeout: int
    start_period: int
    retries: int


class PipArgs(TypedDict, total=False):
    """Where pip installs from; credentials only ever as BuildKit secrets."""

    ca_secret: str
    index_url: str
    token_secret: str
    token_user: str


class RegistryArgs(TypedDict):
    """Credentials for the registry the image is pushed to (the password stays secret)."""

    address: pulumi.Input[str]
    username: pulumi.Input[str]
    password: pulumi.Input[str]


class _Required(TypedDict):
    app: str
    """The application directory: the build context (holds requirements.txt)."""
    repository: pulumi.Input[str]
    """Where to push, without a tag: `127.0.0.1:5000/api`, an ECR repository URL, ..."""
    python: str
    """The Python series, e.g. `3.12`."""
    command: list[str]
    """The exec-form command, e.g. `["python3", "-m", "service"]`."""


class PythonImageArgs(_Required, total=False):
    layout: str
    """slim (default), builder, debian-apt or ubuntu-rock."""
    variant: str
    distro: str
    platforms: list[str]
    requirements: list[str]
    build_packages: list[str]
    runtime_packages: list[str]
    port: int
    healthcheck: HealthcheckArgs
    uid: int
    pip: PipArgs
    ignore: list[str]
    base_mirror: str
    """Registry the bases are pulled from (default docker.io); the lock keeps docker.io names."""
    lock_file: str
    """Path of images.lock (default ./images.lock)."""
    version: str
    """The version tag; default: the revision tag (rev-<hash of the Dockerfile>)."""
    registry: RegistryArgs
    cache: bool
    """Registry cache (cache-from/cache-to in the image's repository); default true."""
    cache_repository: pulumi.Input[str]
    """Where the cache is kept instead (a repository with mutable tags, when the image's own
    are immutable, as on ECR); default: the image's repository."""
    cache_mode: str
    """max (default: every stage's layers, the builder's too) or min."""
    cache_tag: str
    """Cache tag prefix: `<repository>:<cache_tag>-linux-amd64`; default buildcache."""
    build_secrets: dict[str, pulumi.Input[str]]
    """Values of the BuildKit secrets the build mounts (e.g. pip-ca), as secrets."""
    build_on_preview: bool
    labels: dict[str, str]
    suppress: dict[str, str]
    """Policy rule id -> the reason it does not apply to this image."""


_SPEC_FIELDS = set(ImageSpec.model_fields) - {"mirror"}


def spec_of(args: PythonImageArgs) -> ImageSpec:
    """The validated `ImageSpec` a component's args describe."""
    fields: dict[str, Any] = {k: v for k, v in args.items() if k in _SPEC_FIELDS}
    if "base_mirror" in args:
        fields["mirror"] = args["base_mirror"]
    return ImageSpec(**fields)


def provider_platform(platform: str) -> db.Platform:
    """The spelling of `platform` the docker-build provider accepts (`linux/arm64/v8` -> arm64)."""
    mapped = _PROVIDER_PLATFORMS.get(platform, platform)
    if mapped not in _ENUM:
        raise ConfigError(
            f"platforms: {platform!r} cannot be built through the docker-build provider (it "
            f"knows {', '.join(sorted(p for p in _ENUM if p.startswith('linux/')))}); "
            "drop it or build that variant outside Pulumi"
        )
    return db.Platform(mapped)


def _slug(platform: str) -> str:
    return platform.replace("/", "-")


class PythonImage(pulumi.ComponentResource):
    """A digest-pinned Python service image, pushed for every platform as one index."""

    ref: pulumi.Output[str]
    """`<repository>@sha256:...` of what was pushed (the index for several platforms)."""
    digest: pulumi.Output[str]
    tags: pulumi.Output[list[str]]
    dockerfile: pulumi.Output[str]
    """The rendered Dockerfile (known at preview)."""
    base: pulumi.Output[str]
    """The pinned runtime base, `docker.io/library/python:<tag>@sha256:...`."""
    platforms: pulumi.Output[list[str]]

    def __init__(
        self, name: str, args: PythonImageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        # the policy pack reads these props: `suppress` covers the children, analyzers are not
        # told resource options, so the component states that its pushes are retained, and
        # the platforms of the index it pushes
        if not isinstance(args, Mapping):
            raise ConfigError(
                f"PythonImage {name!r}: args must be a mapping of the documented keys, got "
                f"{type(args).__name__}"
            )
        given = args.get("platforms", DEFAULT_PLATFORMS)
        props: dict[str, Any] = {
            "suppress": dict(args.get("suppress", {})),
            "retainOnDelete": True,
        }
        if isinstance(given, (list, tuple)):  # anything else is refused below
            # what the index it pushes holds (ARCH001 checks it: the builds may be per platform)
            props["platforms"] = [str(p) for p in given]
        super().__init__(TYPE, name, props, opts)
        missing = [k for k in _Required.__annotations__ if k not in args]
        if missing:
            raise ConfigError(f"PythonImage {name!r}: missing {', '.join(missing)}")
        spec = spec_of(args)
        # everything is checked before the one file this component writes (.dockerignore)
        app = _app_dir(name, args["app"])
        _check_repository(name, args["repository"])
        if args.get("cache_repository") is not None:
            _check_repository(name, args["cache_repository"], "cache_repository")
        try:
            lock = load_lock(args.get("lock_file", DEFAULT_PATH))
        except LockError as exc:  # missing or corrupt: say which arg names it
            raise LockError(f"PythonImage {name!r}: lock_file: {exc}") from None
        text = render(spec, lock)
        secrets = _build_secrets(name, spec, args.get("build_secrets", {}))
        registries = _registries(name, args)
        cache = args.get("cache", True)
        cache_tag, cache_mode = args.get("cache_tag", "buildcache"), args.get("cache_mode", "max")
        if cache_mode not in ("min", "max"):
            raise ConfigError(f"PythonImage {name!r}: cache_mode {cache_mode!r} is not min or max")
        platforms = list(spec.platforms)
        for platform in platforms:
            provider_platform(platform)
        _ensure_dockerignore(app, render_dockerignore(spec))
        revision = "rev-" + hashlib.sha256(text.encode()).hexdigest()[:12]
        version = args.get("version", revision)
        repo = pulumi.Output.from_input(args["repository"])
        cache_repo = pulumi.Output.from_input(args.get("cache_repository") or args["repository"])
        labels = {
            **args.get("labels", {}),
            **base_labels(spec, lock),
            "org.opencontainers.image.revision": revision,
            "org.opencontainers.image.version": version,
        }
        common: dict[str, Any] = {
            "context": db.BuildContextArgs(location=str(app)),
            "dockerfile": db.DockerfileArgs(inline=text),
            "push": True,
            "labels": labels,
            "build_on_preview": args.get("build_on_preview", True),
        }
        if secrets:
            common["secrets"] = secrets
        if registries:
            common["registries"] = registries
        child = pulumi.ResourceOptions(parent=self, retain_on_delete=True)
        if cache and len(platforms) > 1:
            built = [
                db.Image(
                    f"{name}-{_slug(p)}",
                    platforms=[provider_platform(p)],
                    tags=[pulumi.Output.concat(repo, f":{revision}-{_slug(p)}")],
                    **_cache(cache_repo, f"{cache_tag}-{_slug(p)}", cache_mode),
                    **common,
                    opts=child,
                )
                for p in platforms
            ]
            index = db.Index(
                f"{name}-index",
                sources=[image.ref for image in built],
                tag=pulumi.Output.concat(repo, f":{version}"),
                push=True,
                registry=registries[0] if registries else None,
                opts=child,
            )
            digest = index.ref.apply(lambda r: r.split("@", 1)[1])
            tags = repo.apply(lambda r: [f"{r}:{version}"])
        else:
            tag_names = [version] if version == revision else [version, revision]
            tags = repo.apply(lambda r: [f"{r}:{t}" for t in tag_names])
            image = db.Image(
                f"{name}-build",
                platforms=[provider_platform(p) for p in platforms],
                tags=tags,
                **(_cache(cache_repo, cache_tag, cache_mode) if cache else {}),
                **common,
                opts=child,
            )
            digest = image.digest
        self.ref = pulumi.Output.concat(repo, "@", digest)
        self.digest = digest
        self.tags = tags
        self.dockerfile = pulumi.Output.from_input(text)
        self.base = pulumi.Output.from_input(
            f"{labels['org.opencontainers.image.base.name']}@"
            f"{labels['org.opencontainers.image.base.digest']}"
        )
        self.platforms = pulumi.Output.from_input(platforms)
        self.register_outputs(
            {
                "ref": self.ref,
                "digest": self.digest,
                "tags": self.tags,
                "dockerfile": self.dockerfile,
                "base": self.base,
                "platforms": self.platforms,
                "suppress": args.get("suppress", {}),
            }
        )


def _cache(repo: pulumi.Output[str], tag: str, mode: str) -> dict[str, Any]:
    ref = pulumi.Output.concat(repo, f":{tag}")
    return {
        "cache_from": [db.CacheFromArgs(registry=db.CacheFromRegistryArgs(ref=ref))],
        "cache_to": [
            db.CacheToArgs(
                registry=db.CacheToRegistryArgs(
                    ref=ref,
                    mode=db.CacheMode(mode),
                    image_manifest=True,
                    oci_media_types=True,
                    ignore_error=True,  # a cache that cannot be written must not fail the build
                )
            )
        ],
    }


def _registries(name: str, args: PythonImageArgs) -> list[db.RegistryArgs]:
    creds = args.get("registry")
    if creds is None:
        return []
    keys = ("address", "username", "password")
    if not isinstance(creds, Mapping) or any(k not in creds for k in keys):
        given = sorted(creds) if isinstance(creds, Mapping) else type(creds).__name__
        raise ConfigError(
            f"PythonImage {name!r}: registry must hold address, username and password (the "
            f"credentials to push with), got {given}"
        )
    return [
        db.RegistryArgs(
            address=creds["address"],
            username=creds["username"],
            password=pulumi.Output.secret(creds["password"]),
        )
    ]


def _build_secrets(
    name: str, spec: ImageSpec, given: dict[str, pulumi.Input[str]]
) -> dict[str, pulumi.Output[str]]:
    needed, provided = set(spec.build_secrets), set(given)
    if needed - provided:
        raise ConfigError(
            f"PythonImage {name!r}: build_secrets lacks {', '.join(sorted(needed - provided))}, "
            "which the pip settings mount; pass their values (they stay secret)"
        )
    if provided - needed:
        raise ConfigError(
            f"PythonImage {name!r}: build_secrets {', '.join(sorted(provided - needed))} "
            f"is mounted by nothing; the build mounts {', '.join(sorted(needed)) or 'no secrets'}"
        )
    return {key: pulumi.Output.secret(value) for key, value in sorted(given.items())}


def _app_dir(name: str, value: object) -> Path:
    """The build context: a directory; a relative one must stay inside the working directory
    (the project), as the component writes its `.dockerignore` there."""
    if not isinstance(value, str | Path) or not str(value):
        raise ConfigError(
            f"PythonImage {name!r}: app: give the application directory, got {value!r}"
        )
    app = Path(value)
    if not app.is_absolute():
        here = Path.cwd().resolve()
        if not (here / app).resolve().is_relative_to(here):
            raise ConfigError(
                f"PythonImage {name!r}: app: {str(app)!r} leads outside the project "
                f"({here}); give a directory inside it, or an absolute path on purpose"
            )
    if not app.is_dir():
        raise ConfigError(f"app: {str(app)!r} is not a directory; point it at the application")
    return app


def _check_repository(name: str, value: object, key: str = "repository") -> None:
    """A repository known now must be one: `host/path`, no tag, no digest."""
    if isinstance(value, pulumi.Output):
        return
    try:
        ref = ImageReference.parse(value) if isinstance(value, str) else None
    except InvalidReference as exc:
        raise ConfigError(f"PythonImage {name!r}: {key}: {exc}") from None
    if ref is None or ref.tag is not None or ref.digest is not None:
        raise ConfigError(
            f"PythonImage {name!r}: {key}: {value!r} is not a repository; give one "
            "without tag or digest, e.g. 127.0.0.1:5000/api (the tags are the component's)"
        )


def _ensure_dockerignore(app: Path, text: str) -> None:
    """The build context's `.dockerignore` is rendered too; keep it current (atomically)."""
    target = app / ".dockerignore"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        _atomic_write(target, text)
