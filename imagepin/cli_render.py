"""`imagepin render --stack dev --out DIR`: each image's Dockerfile and .dockerignore, on disk.

    $ imagepin render --stack dev --out build/
    build/service.Dockerfile
    build/service.dockerignore

The text is exactly what the PythonImage component builds from (`imagepin.dockerfile.render`
with the stack's base mirror and `images.lock`). Every image is rendered before anything is
written, so an error (a base missing from the lock, say) leaves DIR as it was.
"""

from __future__ import annotations

from pathlib import Path

import typer

from imagepin.config import load_stack
from imagepin.console import out
from imagepin.dockerfile import render, render_dockerignore
from imagepin.errors import ConfigError
from imagepin.lock import DEFAULT_PATH, Lock, atomic_write


def render_command(
    stack: str = typer.Option(
        ..., "--stack", help="Stack name (dev, for stacks/Pulumi.dev.yaml) or a stack file path."
    ),
    out_dir: Path = typer.Option(
        ...,
        "--out",
        file_okay=False,
        help="Folder for <image>.Dockerfile and <image>.dockerignore.",
    ),
    lock_path: Path = typer.Option(
        DEFAULT_PATH, "--lock", dir_okay=False, help="The lock file the digests come from."
    ),
    images: list[str] = typer.Option(
        [], "--image", help="Render only this image (repeatable). Default: every image."
    ),
) -> None:
    """Write the Dockerfile and .dockerignore of each image of a stack, as the component would."""
    config = load_stack(stack, Path())
    lock = Lock.load(lock_path)
    chosen = [config.image(name) for name in images] if images else list(config.images)
    if not chosen:
        out.print(f"{config.file} has no imagepin:images; nothing to render")
        return
    files: dict[Path, str] = {}
    for image in chosen:
        spec = image.spec(config.base_mirror)
        files[out_dir / f"{image.name}.Dockerfile"] = render(spec, lock)
        files[out_dir / f"{image.name}.dockerignore"] = render_dockerignore(spec)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path, text in files.items():
            atomic_write(path, text)
            out.print(str(path))
    except OSError as exc:
        raise ConfigError(
            f"--out {out_dir}: cannot write the rendered files there ({exc.strerror or exc}); "
            "give a folder you can write to"
        ) from None
