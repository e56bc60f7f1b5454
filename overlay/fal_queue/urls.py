"""URL rules: model ids, app scoping, and rewriting fal's queue URLs onto the gateway.

fal answers with URLs on ``https://queue.fal.run``; a gateway user must call the gateway instead,
with the same path. These are pure functions so that sync and async clients (and the CLI) agree.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit, urlunsplit

from .errors import ConfigurationError, InvalidInputError

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_MODEL_ID = re.compile(rf"^{_SEGMENT}(?:/{_SEGMENT})+$")
_REQUEST_ID = re.compile(rf"^{_SEGMENT}$")
#: Namespaces whose apps have three segments instead of two (fal's rule).
_THREE_SEGMENT_NAMESPACES = frozenset({"workflows", "comfy"})


def validate_model_id(model_id: object) -> str:
    """Return ``model_id`` if it is a well-formed ``owner/app[/path]`` id, else raise."""
    if not isinstance(model_id, str) or not _MODEL_ID.match(model_id):
        raise InvalidInputError(
            f"invalid model id {model_id!r}: expected 'owner/app[/sub/path]', e.g. 'fal-ai/flux-1/schnell'"
        )
    segments = model_id.split("/")
    if any(s in {".", ".."} or s.strip(".") == "" for s in segments):
        raise InvalidInputError(f"invalid model id {model_id!r}: '.' and '..' segments are not allowed")
    if segments[0] in _THREE_SEGMENT_NAMESPACES and len(segments) < 3:
        raise InvalidInputError(f"invalid model id {model_id!r}: '{segments[0]}/' ids need three segments")
    if "requests" in segments[1:]:
        raise InvalidInputError(f"invalid model id {model_id!r}: it must not contain a 'requests' segment")
    return model_id


def validate_request_id(request_id: object) -> str:
    """Return ``request_id`` if it is a plain id (no slashes, no dots first), else raise."""
    if not isinstance(request_id, str) or not _REQUEST_ID.match(request_id):
        raise InvalidInputError(
            f"invalid request id {request_id!r}: expected letters, digits, '.', '_' or '-'"
        )
    return request_id


def app_id(model_id: str) -> str:
    """The part of a model id that addresses its requests: two segments, three for workflows/comfy."""
    segments = validate_model_id(model_id).split("/")
    keep = 3 if segments[0] in _THREE_SEGMENT_NAMESPACES else 2
    return "/".join(segments[:keep])


def is_loopback_host(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost" or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def normalize_base_url(base_url: str, *, allow_http: bool = False) -> str:
    """Validate a gateway base URL and return it without a trailing slash.

    Plain ``http://`` sends the key in clear text, so it is refused except on loopback addresses or
    when ``allow_http`` is set explicitly.
    """
    if not isinstance(base_url, str) or not base_url.strip():
        raise ConfigurationError("base_url is empty: pass base_url= or set FAL_QUEUE_BASE_URL")
    parts = urlsplit(base_url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigurationError(f"base_url {base_url!r} must be an absolute http(s) URL with a host")
    if parts.username or parts.password:
        raise ConfigurationError("base_url must not contain credentials; pass api_key= instead")
    if parts.query or parts.fragment:
        raise ConfigurationError(f"base_url {base_url!r} must not have a query or fragment")
    if parts.scheme == "http" and not allow_http and not is_loopback_host(parts.hostname):
        raise ConfigurationError(
            f"base_url {base_url!r} uses plain http to a non-loopback host, which would expose the key; "
            "use https, or pass allow_http=True (env FAL_QUEUE_ALLOW_HTTP=1) if you really mean it"
        )
    path = parts.path.rstrip("/")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def origin_of(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with default ports made explicit, for same-origin checks."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or {"http": 80, "https": 443}.get(scheme)
    return scheme, (parts.hostname or "").lower(), port


def rewrite_url(url: str, base_url: str) -> str:
    """Move a queue URL from whatever origin it names onto the gateway, keeping path and query.

    ``https://queue.fal.run/fal-ai/flux-1/requests/ID`` becomes ``{base_url}/fal-ai/flux-1/requests/ID``.
    A URL that already lives under ``base_url`` is returned unchanged (no doubled path prefix).
    """
    base = base_url.rstrip("/")
    if url == base or url.startswith(base + "/"):
        return url
    parts = urlsplit(url)
    return f"{base}/{parts.path.removeprefix('/')}" + (f"?{parts.query}" if parts.query else "")


def queue_urls(base_url: str, model_id: str, request_id: str) -> dict[str, str]:
    """The gateway URLs of a request, built from the app rule (used for rebuilt handles)."""
    root = f"{base_url.rstrip('/')}/{app_id(model_id)}/requests/{validate_request_id(request_id)}"
    return {"response_url": root, "status_url": root + "/status", "cancel_url": root + "/cancel"}
