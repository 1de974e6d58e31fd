"""`python3 -m service`: serve on 0.0.0.0:$PORT (default 8000) with waitress.

SIGTERM stops the server cleanly: as PID 1 in a container, a process gets no default action
for it, so `docker stop` would otherwise wait out its timeout and kill.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from waitress import serve

from service import create_app


def _stop(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def main() -> None:
    signal.signal(signal.SIGTERM, _stop)
    port = int(os.environ.get("PORT", "8000"))
    serve(create_app(), host="0.0.0.0", port=port, threads=4, ident="service")


if __name__ == "__main__":
    main()
