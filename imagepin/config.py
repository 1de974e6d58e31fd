"""Stack configuration: the `imagepin:` namespace of `stacks/Pulumi.<env>.yaml`.

    config:
      imagepin:baseMirror: docker.io
      imagepin:allowPrerelease: false
      imagepin:allowedVariants: [slim]
      imagepin:registry: {server: 127.0.0.1:5000, namespace: imagepin}
      imagepin:cache: {enabled: true, mode: max}
      imagepin:buildSecrets:
        pip-ca: {file: /etc/ssl/certs/ca-certificates.crt}
      imagepin:images:
        - name: service
          app: app
          python: "3.12"
          platforms: [linux/amd64]
          command: [python3, -m, service]
          port: 8000
          healthcheck: {path: /healthz}
          pip: {caSecret: pip-ca}

Keys are camelCase as Pulumi config usually is (snake_case is accepted too); keys of other
namespaces (`aws:region`) are left alone. `load_stack("dev")` reads, validates and checks the
app directories; every error is a `ConfigError` (exit 2) that names the stack file, the key path
and the fix: `stacks/Pulumi.prod.yaml: imagepin:images[0].variant: 'slimm' is not one of full,
slim, alpine, windowsservercore; did you mean 'slim'?`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal, Self

from pydantic import (
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from imagepin.catalog import PythonBase
from imagepin.config_deploy import (
    Backend,
    EcsConfig,
    RegistryConfig,
    ServiceConfig,
    check_services,
)
from imagepin.config_errors import FieldError, did_you_mean, explain
from imagepin.config_files import NAMESPACE, display_path, read_stack_file, stack_files
from imagepin.dockerfile_options import Model
from imagepin.dockerfile_spec import (
    DEFAULT_MIRROR,
    EXAMPLES,
    ImageBuild,
    ImageSpec,
    check_registry_host,
)
from imagepin.errors import ConfigError
from imagepin.refs import ImageReference

RuntimeKind = Literal["full", "slim", "alpine", "apt", "rock"]
RUNTIME_KINDS: tuple[RuntimeKind, ...] = ("full", "slim", "alpine", "apt", "rock")
_NAME_EXAMPLES = {**EXAMPLES, "name": "service", "app": "app", "server": "127.0.0.1:5000"}


class ImageConfig(ImageBuild):
    """One image of a stack: its name (the repository name), app directory and build fields."""

    name: str
    app: str
    """The build context, relative to the project root (where Pulumi.yaml is)."""

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        try:
            ok = ImageReference.parse(f"x.io/{value}").path == value and "/" not in value
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{value!r} is not an image name; use lowercase letters, digits and single "
                "'.', '_' or '-' between them (e.g. service)"
            )
        return value

    @field_validator("app")
    @classmethod
    def _app(cls, value: str, info: ValidationInfo) -> str:
        root = (info.context or {}).get("root")
        if Path(value).is_absolute() or ".." in Path(value).parts:
            raise ValueError(
                f"{value!r} leaves the project; give a directory inside it, relative to the "
                "project root (no '..', no leading '/'), e.g. app"
            )
        if root is None:
            return value
        folder = Path(root) / value
        if not folder.is_dir():
            dirs = sorted(p.name for p in Path(root).iterdir() if p.is_dir())
            what = "is a file, not a directory" if folder.exists() else "does not exist"
            hint = did_you_mean(value, dirs) or "; create it or fix the path"
            raise ValueError(f"{value!r} {what} in the project{hint}")
        if not folder.resolve().is_relative_to(Path(root).resolve()):
            raise ValueError(
                f"{value!r} leads outside the project through a symlink; point app at a "
                "directory inside the project"
            )
        return value

    @model_validator(mode="after")
    def _requirements_exist(self, info: ValidationInfo) -> Self:
        root = (info.context or {}).get("root")
        if root is None:
            return self
        for i, name in enumerate(self.requirements):
            if not (Path(root) / self.app / name).is_file():
                raise FieldError(
                    ("requirements", i),
                    f"{self.app}/{name} does not exist; create it or list the requirements "
                    "file the app uses",
                )
        return self

    @property
    def runtime_kind(self) -> RuntimeKind:
        """The kind of runtime image: a library/python variant, `apt` or `rock`."""
        if self.layout == "debian-apt":
            return "apt"
        if self.layout == "ubuntu-rock":
            return "rock"
        variant = self.variant or "slim"
        return "slim" if variant == "windowsservercore" else variant

    def spec(self, mirror: str = DEFAULT_MIRROR) -> ImageSpec:
        """The `ImageSpec` the renderer and the component build from."""
        fields = self.model_dump(exclude={"name", "app"}, exclude_unset=True)
        return ImageSpec(**fields, mirror=mirror)


class CacheConfig(Model):
    """BuildKit layer cache in the target registry (per platform; mode max keeps every stage)."""

    enabled: bool = True
    mode: Literal["min", "max"] = "max"
    tag: str = Field(default="buildcache", pattern=r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,100}")
    """Cache tag prefix in the image's repository: `<repo>:buildcache-linux-amd64`."""


class SecretSource(Model):
    """Where a BuildKit secret's value comes from at build time: a file or an env variable."""

    file: str | None = None
    env: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.file is None) == (self.env is None):
            raise FieldError(
                ("file",),
                "give exactly one of file (a path) or env (a variable name), "
                "e.g. {file: /etc/ssl/certs/ca-certificates.crt}",
            )
        return self

    def read(self, key: str) -> str:
        """The secret's value at deploy time; a missing file or variable names `key`."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(
                    f"{NAMESPACE}:buildSecrets.{key}: the environment variable {self.env} is not "
                    "set; export it in the shell that runs pulumi"
                )
            return value
        path = Path(str(self.file))
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(
                f"{NAMESPACE}:buildSecrets.{key}: cannot read {path}: {exc.strerror}; fix the path"
            ) from None


class StackConfig(Model):
    """The `imagepin:` keys of one stack file (the name after `imagepin:` is the field alias)."""

    images: tuple[ImageConfig, ...] = ()
    base_mirror: str = DEFAULT_MIRROR
    """Registry every docker.io base is pulled through (pull-through cache, private mirror)."""
    registry: RegistryConfig | None = None
    cache: CacheConfig = CacheConfig()
    allow_prerelease: bool = False
    allowed_variants: tuple[RuntimeKind, ...] = RUNTIME_KINDS
    build_secrets: dict[str, SecretSource] = Field(default_factory=dict)
    backend: Backend = "docker"
    ecs: EcsConfig | None = None
    services: tuple[ServiceConfig, ...] = ()
    _name: str = PrivateAttr(default="")
    _file: str = PrivateAttr(default="")
    _root: Path = PrivateAttr(default_factory=Path)

    @field_validator("base_mirror")
    @classmethod
    def _mirror(cls, value: str) -> str:
        check_registry_host(value)
        return value

    @model_validator(mode="after")
    def _stack_rules(self) -> Self:
        seen: dict[str, int] = {}
        for i, image in enumerate(self.images):
            if image.name in seen:
                raise FieldError(
                    ("images", i, "name"),
                    f"{image.name!r} is already the name of images[{seen[image.name]}]; "
                    "names must be unique in a stack",
                )
            seen[image.name] = i
            _check_image_rules(self, i, image)
        check_services(self.services, tuple(seen), self.backend, self.ecs is not None)
        return self

    @property
    def name(self) -> str:
        """The stack name (`dev` for `Pulumi.dev.yaml`)."""
        return self._name

    @property
    def file(self) -> str:
        """The stack file as messages show it, e.g. `stacks/Pulumi.dev.yaml`."""
        return self._file

    @property
    def root(self) -> Path:
        """The project root the app directories are relative to."""
        return self._root

    def app_dir(self, image: ImageConfig) -> Path:
        return self._root / image.app

    def specs(self) -> dict[str, ImageSpec]:
        """Image name -> `ImageSpec` with this stack's base mirror, in config order."""
        return {image.name: image.spec(self.base_mirror) for image in self.images}

    def image(self, name: str) -> ImageConfig:
        for image in self.images:
            if image.name == name:
                return image
        known = [i.name for i in self.images]
        raise ConfigError(
            f"{self.file}: no image named {name!r} in {NAMESPACE}:images (it has "
            f"{', '.join(known) or 'none'}){did_you_mean(name, known)}"
        )


def _is_prerelease(version: str) -> bool:
    return PythonBase(version=version, variant="slim").is_prerelease


def _check_image_rules(stack: StackConfig, i: int, image: ImageConfig) -> None:
    """Stack-wide rules: pre-releases, allowed runtime variants, declared build secrets."""
    python_image = image.layout in ("slim", "builder")
    if python_image and not stack.allow_prerelease and _is_prerelease(image.python):
        raise FieldError(
            ("images", i, "python"),
            f"python {image.python} is a pre-release and this stack has "
            f"{NAMESPACE}:allowPrerelease: false; pick a released series, or set "
            f"{NAMESPACE}:allowPrerelease: true (dev stacks only)",
        )
    kind = image.runtime_kind
    if kind not in stack.allowed_variants:
        allowed = ", ".join(stack.allowed_variants)
        field = "layout" if kind in ("apt", "rock") else "variant"
        raise FieldError(
            ("images", i, field),
            f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} runtime is not allowed in this stack "
            f"({NAMESPACE}:allowedVariants is "
            f"[{allowed}]); use variant: slim (with layout: builder when dependencies must be "
            "compiled)",
        )
    for secret in image.pip.secrets:
        if secret not in stack.build_secrets:
            raise FieldError(
                ("images", i, "pip"),
                f"secret {secret!r} is not declared; add it under {NAMESPACE}:buildSecrets, "
                f"e.g. {secret}: {{file: /etc/ssl/certs/ca-certificates.crt}}",
            )


def load_stack(name_or_path: str | Path, root: Path | str = Path()) -> StackConfig:
    """Read and validate one stack (`"dev"` or a stack file); app dirs are checked under `root`."""
    root = Path(root)
    path, name = stack_files(root).resolve(name_or_path)
    shown = display_path(path, root)
    data = read_stack_file(path, shown)
    try:
        stack = StackConfig.model_validate(data, context={"root": root})
    except ValidationError as exc:
        raise explain(
            exc, StackConfig, where=shown, prefix=f"{NAMESPACE}:", examples=_NAME_EXAMPLES
        ) from None
    stack._name, stack._file, stack._root = name, shown, root
    return stack


def load_all(root: Path | str = Path()) -> list[StackConfig]:
    """Every stack of the project, by name."""
    root = Path(root)
    return [load_stack(path, root) for path in stack_files(root).all()]


def bases_from_stacks(
    root: Path | str = Path(), mirror: str | None = None
) -> list[tuple[str, str | None]]:
    """(reference as the lock writes it, mirror) for `imagepin lock add --from-stacks`."""
    files = stack_files(Path(root))
    if not files.all():
        raise ConfigError(
            f"{display_path(files.folder, Path(root))}: no stack files (Pulumi.<stack>.yaml) to "
            "collect bases from; run from the project root or give references instead"
        )
    return [(ref.familiar(), via) for ref, via in stack_bases(load_all(root), mirror)]


def stack_bases(
    stacks: list[StackConfig], mirror: str | None = None
) -> list[tuple[ImageReference, str | None]]:
    """Every image the stacks need (builders, local registries) once, with its mirror.

    The mirror is `mirror` when given, else the first stack's `baseMirror` (None for docker.io).
    """
    found: dict[ImageReference, str | None] = {}
    for stack in stacks:
        own = None if stack.base_mirror == DEFAULT_MIRROR else stack.base_mirror
        refs = [stage.ref for spec in stack.specs().values() for stage in spec.stages]
        if stack.registry is not None and stack.registry.kind == "local":
            refs.append(ImageReference.parse(stack.registry.image))  # LocalRegistry runs it
        for ref in refs:
            via = mirror or (own if ref.domain == DEFAULT_MIRROR else None)
            found.setdefault(ref.without_digest(), via)
    return sorted(found.items(), key=lambda item: str(item[0]))
