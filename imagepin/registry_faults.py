"""What a registry exchange that failed means, as an `imagepin.errors` exception with the fix.

Unreachable (refused, timed out, a TLS problem), unavailable after the retries (429, 5xx), and a
TLS port spoken to in plain http. `registry` raises them; the texts name the host and what to do.
"""

from __future__ import annotations

import httpx
from httpx import Response

from imagepin.errors import RegistryUnavailable, RegistryUnreachable
from imagepin.registry_auth import login_command

MAX_DELAY = 30.0  # seconds: the cap on one backoff, and the longest Retry-After waited out
# what a TLS port answers a plain-http request: Go's net/http (distribution, Harbor), nginx
_TLS_ONLY = (
    b"Client sent an HTTP request to an HTTPS server",
    b"plain HTTP request was sent to HTTPS",
)


def retry_after(response: Response | None) -> float:
    """Retry-After as delay-seconds, the form registries send; 0 when absent or a date."""
    value = response.headers.get("retry-after", "").strip() if response else ""
    return float(value) if value.isdigit() else 0.0


def unreachable(url: httpx.URL, method: str, exc: Exception, timeout: float) -> Exception:
    host, reason = url.netloc.decode(), str(exc) or type(exc).__name__
    if isinstance(exc, httpx.TimeoutException):
        reason = f"timed out, no answer within {timeout:g}s"
    hint = "a plain-http registry off loopback must be listed in --insecure"
    if "certificate" in reason.lower():
        hint = (
            f"if {host} has a certificate from a private CA, add that CA to the bundle "
            "SSL_CERT_FILE names (or the directory SSL_CERT_DIR names) and retry"
        )
    elif "ssl" in reason.lower():
        hint = f"if {host} serves plain http, list it in --insecure"
    return RegistryUnreachable(
        f"cannot reach {host} over {url.scheme} for {method} {url.path}: {reason}. Is the "
        f"registry running? Check its address, your network and --mirror; {hint}"
    )


def unavailable(response: Response, attempts: int, elapsed: float) -> Exception:
    host, status, wait = response.url.netloc.decode(), response.status_code, retry_after(response)
    advice = "it is overloaded or down: try again later or use a --mirror"
    if status == 429:
        advice = f"rate limited: run `{login_command(host)}`, wait and retry, or use a --mirror"
    asked = f", then asked for {wait:g}s more (cap {MAX_DELAY:g}s)" if wait > MAX_DELAY else ""
    return RegistryUnavailable(
        f"{host} answered {status} {response.reason_phrase} to {response.request.method} "
        f"{response.url.path} {attempts} time(s) in {elapsed:.1f}s{asked}; {advice}"
    )


def from_a_tls_port(response: Response) -> bool:
    """Whether a 400 is a TLS port's answer to plain http. Go's is a bare HTTP/1.0 400 with no
    headers, whose text a HEAD does not read."""
    if any(marker in response.content for marker in _TLS_ONLY):
        return True
    bare = response.http_version == "HTTP/1.0" and not response.headers
    return response.request.method == "HEAD" and bare


def spoke_http_to_tls(host: str, *, loopback: bool) -> Exception:
    """The error for plain http answered by a TLS port."""
    if loopback:  # always plain http: reach it another way
        why = "a loopback host"
        fix = (
            "reach it by a non-loopback address or name, or give it as --mirror "
            f"https://{host} for docker.io references"
        )
    else:
        why, fix = "listed in --insecure", f"remove {host} from --insecure"
    return RegistryUnreachable(
        f"{host} serves https, but imagepin spoke plain http to it ({why}): {fix}"
    )
