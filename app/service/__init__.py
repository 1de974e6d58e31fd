"""A small HTTP service: a health endpoint and the current time in any IANA time zone.

    GET /healthz              -> {"status": "ok", "python": "3.12.7", "native": {...} | null}
    GET /time?tz=Europe/Paris -> {"tz": "Europe/Paris", "now": "...", "utc_offset": "+01:00"}

Time zones come from the `tzdata` package, so the service needs no OS time zone files (slim and
chiselled images have none). `psycopg2`, when installed (requirements-native.txt, built from
source), is reported by /healthz with the libpq it is linked against.
"""

from __future__ import annotations

import platform
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import falcon


def native_extensions() -> dict[str, Any] | None:
    """psycopg2's version and libpq's, if the optional native dependency is installed."""
    try:
        import psycopg2
        from psycopg2 import extensions
    except ImportError:
        return None
    return {"psycopg2": psycopg2.__version__, "libpq": extensions.libpq_version()}


class Health:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {
            "status": "ok",
            "python": platform.python_version(),
            "machine": platform.machine(),
            "native": native_extensions(),
        }


class Time:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        name = req.get_param("tz") or "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise falcon.HTTPNotFound(
                title="unknown time zone",
                description=f"{name!r} is not an IANA time zone; try Europe/Paris or UTC",
            ) from None
        now = datetime.now(UTC).astimezone(zone)
        offset = now.strftime("%z")
        resp.media = {
            "tz": name,
            "now": now.isoformat(timespec="seconds"),
            "utc_offset": f"{offset[:3]}:{offset[3:]}",
        }


def create_app() -> falcon.App:
    app = falcon.App()
    app.add_route("/healthz", Health())
    app.add_route("/time", Time())
    return app
