"""A fault-injecting HTTP proxy in front of a real registry, for tests and the reliability suite.

    with FaultProxy("127.0.0.1:5000", fault="429", times=2) as proxy:
        ...  # talk to proxy.host; proxy.requests lists what arrived

Faults (each applies to the first `times` manifest requests, then the proxy forwards faithfully):
  none          forward everything
  status:CODE   answer CODE with a registry-style JSON error (401 adds a Basic challenge)
  429           answer 429 with `Retry-After: <retry_after>`
  disconnect    send the headers and half the body, then close the connection
  slow          sleep `delay` seconds before answering
  tamper        forward, but flip a byte of the manifest (the digest header stays)
  badjson       replace the manifest with invalid JSON and drop the digest header
  redirect      307 to `redirect_to` (another host), which serves the request
  latency       every request (pings and blobs too) waits `delay` seconds, then is forwarded:
                a remote registry's round-trip time, for benchmarks
Other faults only touch `/v2/<name>/manifests/<ref>` requests; `/v2/` pings are forwarded.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

MANIFEST_PATH = re.compile(r"^/v2/.+/manifests/[^/]+$")


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # many clients connect at once
    daemon_threads = True


class FaultProxy:
    def __init__(
        self,
        upstream: str,
        fault: str = "none",
        *,
        times: int = 1_000_000,
        retry_after: int = 1,
        delay: float = 5.0,
        redirect_to: str | None = None,
    ) -> None:
        self.upstream = upstream
        self.fault = fault
        self.times = times
        self.retry_after = retry_after
        self.delay = delay
        self.redirect_to = redirect_to
        self.requests: list[dict[str, Any]] = []
        self._faulted = 0
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), self._handler())
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def manifest_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if MANIFEST_PATH.match(r["path"])]

    def _take_fault(self, path: str) -> str:
        if self.fault == "latency" or not MANIFEST_PATH.match(path):
            return "none"
        with self._lock:
            if self._faulted >= self.times:
                return "none"
            self._faulted += 1
            return self.fault

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

            def _serve(self) -> None:
                proxy.requests.append(
                    {
                        "method": self.command,
                        "path": self.path,
                        "headers": dict(self.headers),
                        "at": time.monotonic(),
                    }
                )
                if proxy.fault == "latency":
                    time.sleep(proxy.delay)
                fault = proxy._take_fault(self.path)
                if fault.startswith("status:"):
                    return self._error(int(fault.split(":")[1]))
                if fault == "429":
                    return self._error(429, {"Retry-After": str(proxy.retry_after)})
                if fault == "redirect":
                    self.send_response(307)
                    self.send_header("Location", f"http://{proxy.redirect_to}{self.path}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return None
                if fault == "slow":
                    time.sleep(proxy.delay)
                status, headers, body = self._forward()
                if fault == "tamper" and body:
                    body = body[:-2] + (b" " if body[-2:-1] != b" " else b"\t") + body[-1:]
                elif fault == "badjson":
                    body = b'{"schemaVersion": 2, "manifests": [oops'
                    headers = [(k, v) for k, v in headers if k.lower() != "docker-content-digest"]
                self.send_response(status)
                for key, value in headers:
                    if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command == "HEAD":
                    return None
                if fault == "disconnect":
                    self.wfile.write(body[: len(body) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return None
                self.wfile.write(body)
                return None

            def _forward(self) -> tuple[int, list[tuple[str, str]], bytes]:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else None
                skip = {"host", "connection", "content-length"}
                headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
                # one kept-alive upstream connection per client connection (handler instance)
                if getattr(self, "_upstream", None) is None:
                    self._upstream = http.client.HTTPConnection(proxy.upstream, timeout=30)
                conn = self._upstream
                try:
                    conn.request(self.command, self.path, body=data, headers=headers)
                    resp = conn.getresponse()
                except (ConnectionError, http.client.HTTPException):
                    conn.close()  # the upstream dropped an idle connection: reconnect once
                    conn.request(self.command, self.path, body=data, headers=headers)
                    resp = conn.getresponse()
                body = resp.read()
                return resp.status, resp.getheaders(), body

            def _error(self, code: int, extra: dict[str, str] | None = None) -> None:
                codes = {401: "UNAUTHORIZED", 403: "DENIED", 404: "MANIFEST_UNKNOWN"}
                err = {"code": codes.get(code, "UNAVAILABLE"), "message": f"injected {code}"}
                body = json.dumps({"errors": [err]}).encode()
                self.send_response(code)
                if code == 401:
                    self.send_header("WWW-Authenticate", 'Basic realm="faultproxy"')
                for key, value in (extra or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = do_HEAD = do_PUT = do_POST = do_PATCH = do_DELETE = _serve

        return Handler
