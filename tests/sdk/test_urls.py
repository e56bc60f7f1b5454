"""URL rules: model ids, the app rule, and rewriting fal's URLs onto the gateway (property-based)."""

from __future__ import annotations

import string
from urllib.parse import urlsplit

import pytest
from fal_queue.errors import ConfigurationError, InvalidInputError
from fal_queue.urls import (
    app_id,
    normalize_base_url,
    queue_urls,
    rewrite_url,
    validate_model_id,
    validate_request_id,
)
from hypothesis import given
from hypothesis import strategies as st

segment = st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=12).filter(
    lambda s: s[0].isalnum()
)
path_segments = st.lists(segment, min_size=1, max_size=6)
base_urls = st.builds(
    lambda scheme, host, port, prefix: f"{scheme}://{host}{port}{prefix}",
    st.sampled_from(["https", "http"]),
    st.sampled_from(["gw.example.com", "127.0.0.1", "localhost", "api.openai-hk.com"]),
    st.sampled_from(["", ":8443", ":80"]),
    st.sampled_from(["", "/fal", "/v1/fal", "/a/b/c"]),
)
origins = st.sampled_from(
    ["https://queue.fal.run", "http://10.0.0.1:8080", "https://evil.example", "https://queue.fal.run:443"]
)


@given(
    base=base_urls, origin=origins, segments=path_segments, query=st.sampled_from(["", "logs=1", "a=b&c=d"])
)
def test_rewrite_keeps_path_and_query_and_moves_origin(
    base: str, origin: str, segments: list[str], query: str
) -> None:
    path = "/" + "/".join(segments)
    url = origin + path + (f"?{query}" if query else "")
    rewritten = rewrite_url(url, base)
    assert rewritten.startswith(base.rstrip("/") + "/")
    parts = urlsplit(rewritten)
    assert parts.path == urlsplit(base).path.rstrip("/") + path
    assert parts.query == query
    assert urlsplit(rewritten).netloc == urlsplit(base).netloc


@given(base=base_urls, segments=path_segments)
def test_rewrite_is_idempotent(base: str, segments: list[str]) -> None:
    once = rewrite_url("https://queue.fal.run/" + "/".join(segments), base)
    assert rewrite_url(once, base) == once


def test_rewrite_seed_example() -> None:
    url = "https://queue.fal.run/fal-ai/flux-1/requests/551a32da/status"
    assert (
        rewrite_url(url, "https://api.gw.com/fal/")
        == "https://api.gw.com/fal/fal-ai/flux-1/requests/551a32da/status"
    )


@pytest.mark.parametrize(
    ("model_id", "app"),
    [
        ("fal-ai/flux-1/dev", "fal-ai/flux-1"),
        ("fal-ai/flux-1/dev/image-to-image", "fal-ai/flux-1"),
        ("fal-ai/flux-pro/kontext/max/multi", "fal-ai/flux-pro"),
        ("fal-ai/fast-sdxl", "fal-ai/fast-sdxl"),
        ("workflows/alice/my-wf", "workflows/alice/my-wf"),
        ("workflows/alice/my-wf/extra", "workflows/alice/my-wf"),
        ("comfy/bob/flow/x", "comfy/bob/flow"),
    ],
)
def test_app_rule(model_id: str, app: str) -> None:
    assert app_id(model_id) == app


@given(segments=st.lists(segment, min_size=2, max_size=6))
def test_app_id_is_a_prefix_of_the_model_id(segments: list[str]) -> None:
    model_id = "/".join(segments)
    if (segments[0] in {"workflows", "comfy"} and len(segments) < 3) or "requests" in segments[1:]:
        return
    app = app_id(model_id)
    assert model_id == app or model_id.startswith(app + "/")
    assert len(app.split("/")) == (3 if segments[0] in {"workflows", "comfy"} else 2)


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "flux",
        "/fal-ai/flux",
        "fal-ai//flux",
        "fal-ai/../x",
        "fal-ai/flux/",
        "fal ai/flux",
        "workflows/alice",
        None,
        3,
        "fal-ai/flux-1/requests/abc",
        "https://queue.fal.run/fal-ai/flux",
    ],
)
def test_bad_model_ids_are_rejected_with_a_clear_error(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="model id"):
        validate_model_id(bad)


@pytest.mark.parametrize("bad", ["", "a/b", "../x", ".hidden", "a b", "x?y", None])
def test_bad_request_ids_are_rejected(bad: object) -> None:
    with pytest.raises(InvalidInputError, match="request id"):
        validate_request_id(bad)


def test_queue_urls_follow_the_app_rule() -> None:
    urls = queue_urls("https://gw.example/fal", "fal-ai/flux-1/dev", "abc")
    assert urls == {
        "response_url": "https://gw.example/fal/fal-ai/flux-1/requests/abc",
        "status_url": "https://gw.example/fal/fal-ai/flux-1/requests/abc/status",
        "cancel_url": "https://gw.example/fal/fal-ai/flux-1/requests/abc/cancel",
    }


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://gw.example.com", True),
        ("https://gw.example.com/prefix/", True),
        ("http://127.0.0.1:8000", True),
        ("http://localhost:8000", True),
        ("http://[::1]:8000", True),
        ("http://gw.example.com", False),
        ("ftp://gw.example.com", False),
        ("gw.example.com", False),
        ("https://user:pw@gw.example.com", False),
        ("https://gw.example.com?x=1", False),
        ("", False),
    ],
)
def test_base_url_validation(url: str, ok: bool) -> None:
    if ok:
        assert not normalize_base_url(url).endswith("/")
    else:
        with pytest.raises(ConfigurationError):
            normalize_base_url(url)


def test_plain_http_to_a_remote_host_needs_an_explicit_opt_in() -> None:
    assert normalize_base_url("http://gw.example.com", allow_http=True) == "http://gw.example.com"
