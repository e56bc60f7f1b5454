from http import HTTPStatus
from typing import Any

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.kontext_edit_input import KontextEditInput
from ...models.queue_priority import QueuePriority
from ...models.queue_submit_response import QueueSubmitResponse
from ...models.submit_kontext_max_x_fal_store_io import (
    SubmitKontextMaxXFalStoreIO,
)
from ...types import UNSET, Response, Unset


def _get_kwargs(
    *,
    body: KontextEditInput,
    fal_webhook: str | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_request_start_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | str | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: str | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: SubmitKontextMaxXFalStoreIO | Unset = UNSET,
) -> dict[str, Any]:
    headers: dict[str, Any] = {}
    if not isinstance(x_fal_request_timeout, Unset):
        headers["X-Fal-Request-Timeout"] = str(x_fal_request_timeout)

    if not isinstance(x_fal_request_start_timeout, Unset):
        headers["X-Fal-Request-Start-Timeout"] = str(x_fal_request_start_timeout)

    if not isinstance(x_fal_queue_priority, Unset):
        headers["X-Fal-Queue-Priority"] = x_fal_queue_priority

    if not isinstance(x_fal_runner_hint, Unset):
        headers["X-Fal-Runner-Hint"] = x_fal_runner_hint

    if not isinstance(x_fal_no_retry, Unset):
        headers["X-Fal-No-Retry"] = x_fal_no_retry

    if not isinstance(x_fal_object_lifecycle_preference, Unset):
        headers["X-Fal-Object-Lifecycle-Preference"] = x_fal_object_lifecycle_preference

    if not isinstance(x_fal_store_io, Unset):
        headers["X-Fal-Store-IO"] = str(x_fal_store_io)

    params: dict[str, Any] = {}

    params["fal_webhook"] = fal_webhook

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/fal-ai/flux-pro/kontext/max",
        "params": params,
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json"

    _kwargs["headers"] = headers
    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | QueueSubmitResponse | None:
    if response.status_code == 200:
        response_200 = QueueSubmitResponse.from_dict(response.json())

        return response_200

    if response.status_code == 400:
        response_400 = Error.from_dict(response.json())

        return response_400

    if response.status_code == 401:
        response_401 = Error.from_dict(response.json())

        return response_401

    if response.status_code == 403:
        response_403 = Error.from_dict(response.json())

        return response_403

    if response.status_code == 404:
        response_404 = Error.from_dict(response.json())

        return response_404

    if response.status_code == 422:
        response_422 = Error.from_dict(response.json())

        return response_422

    if response.status_code == 429:
        response_429 = Error.from_dict(response.json())

        return response_429

    if response.status_code == 500:
        response_500 = Error.from_dict(response.json())

        return response_500

    if response.status_code == 502:
        response_502 = Error.from_dict(response.json())

        return response_502

    if response.status_code == 503:
        response_503 = Error.from_dict(response.json())

        return response_503

    if response.status_code == 504:
        response_504 = Error.from_dict(response.json())

        return response_504

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Response[Error | QueueSubmitResponse]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KontextEditInput,
    fal_webhook: str | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_request_start_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | str | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: str | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: SubmitKontextMaxXFalStoreIO | Unset = UNSET,
) -> Response[Error | QueueSubmitResponse]:
    """Queue a FLUX.1 Kontext [max] image-editing job

     Kontext [max] edit; same input as [pro]. Results live under `fal-ai/flux-pro/requests/...`.

    Args:
        fal_webhook (str | Unset):  Example: https://example.com/fal-hook.
        x_fal_request_timeout (float | Unset): Seconds until a runner must have started; above 1
            (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_request_start_timeout (float | Unset): Seconds until a runner must have started;
            above 1 (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_queue_priority (QueuePriority | str | Unset): A `QueuePriority`, or any other
            string, which fal treats as `normal`.
        x_fal_runner_hint (str | Unset):  Example: session-42.
        x_fal_no_retry (str | Unset):  Example: 1.
        x_fal_object_lifecycle_preference (str | Unset):  Example: {"expiration_duration_seconds":
            3600}.
        x_fal_store_io (SubmitKontextMaxXFalStoreIO | Unset):
        body (KontextEditInput): Input of `fal-ai/flux-pro/kontext` and `fal-ai/flux-
            pro/kontext/max`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | QueueSubmitResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        fal_webhook=fal_webhook,
        x_fal_request_timeout=x_fal_request_timeout,
        x_fal_request_start_timeout=x_fal_request_start_timeout,
        x_fal_queue_priority=x_fal_queue_priority,
        x_fal_runner_hint=x_fal_runner_hint,
        x_fal_no_retry=x_fal_no_retry,
        x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
        x_fal_store_io=x_fal_store_io,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    *,
    client: AuthenticatedClient | Client,
    body: KontextEditInput,
    fal_webhook: str | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_request_start_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | str | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: str | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: SubmitKontextMaxXFalStoreIO | Unset = UNSET,
) -> Error | QueueSubmitResponse | None:
    """Queue a FLUX.1 Kontext [max] image-editing job

     Kontext [max] edit; same input as [pro]. Results live under `fal-ai/flux-pro/requests/...`.

    Args:
        fal_webhook (str | Unset):  Example: https://example.com/fal-hook.
        x_fal_request_timeout (float | Unset): Seconds until a runner must have started; above 1
            (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_request_start_timeout (float | Unset): Seconds until a runner must have started;
            above 1 (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_queue_priority (QueuePriority | str | Unset): A `QueuePriority`, or any other
            string, which fal treats as `normal`.
        x_fal_runner_hint (str | Unset):  Example: session-42.
        x_fal_no_retry (str | Unset):  Example: 1.
        x_fal_object_lifecycle_preference (str | Unset):  Example: {"expiration_duration_seconds":
            3600}.
        x_fal_store_io (SubmitKontextMaxXFalStoreIO | Unset):
        body (KontextEditInput): Input of `fal-ai/flux-pro/kontext` and `fal-ai/flux-
            pro/kontext/max`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | QueueSubmitResponse
    """

    return sync_detailed(
        client=client,
        body=body,
        fal_webhook=fal_webhook,
        x_fal_request_timeout=x_fal_request_timeout,
        x_fal_request_start_timeout=x_fal_request_start_timeout,
        x_fal_queue_priority=x_fal_queue_priority,
        x_fal_runner_hint=x_fal_runner_hint,
        x_fal_no_retry=x_fal_no_retry,
        x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
        x_fal_store_io=x_fal_store_io,
    ).parsed


async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    body: KontextEditInput,
    fal_webhook: str | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_request_start_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | str | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: str | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: SubmitKontextMaxXFalStoreIO | Unset = UNSET,
) -> Response[Error | QueueSubmitResponse]:
    """Queue a FLUX.1 Kontext [max] image-editing job

     Kontext [max] edit; same input as [pro]. Results live under `fal-ai/flux-pro/requests/...`.

    Args:
        fal_webhook (str | Unset):  Example: https://example.com/fal-hook.
        x_fal_request_timeout (float | Unset): Seconds until a runner must have started; above 1
            (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_request_start_timeout (float | Unset): Seconds until a runner must have started;
            above 1 (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_queue_priority (QueuePriority | str | Unset): A `QueuePriority`, or any other
            string, which fal treats as `normal`.
        x_fal_runner_hint (str | Unset):  Example: session-42.
        x_fal_no_retry (str | Unset):  Example: 1.
        x_fal_object_lifecycle_preference (str | Unset):  Example: {"expiration_duration_seconds":
            3600}.
        x_fal_store_io (SubmitKontextMaxXFalStoreIO | Unset):
        body (KontextEditInput): Input of `fal-ai/flux-pro/kontext` and `fal-ai/flux-
            pro/kontext/max`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | QueueSubmitResponse]
    """

    kwargs = _get_kwargs(
        body=body,
        fal_webhook=fal_webhook,
        x_fal_request_timeout=x_fal_request_timeout,
        x_fal_request_start_timeout=x_fal_request_start_timeout,
        x_fal_queue_priority=x_fal_queue_priority,
        x_fal_runner_hint=x_fal_runner_hint,
        x_fal_no_retry=x_fal_no_retry,
        x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
        x_fal_store_io=x_fal_store_io,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    body: KontextEditInput,
    fal_webhook: str | Unset = UNSET,
    x_fal_request_timeout: float | Unset = UNSET,
    x_fal_request_start_timeout: float | Unset = UNSET,
    x_fal_queue_priority: QueuePriority | str | Unset = UNSET,
    x_fal_runner_hint: str | Unset = UNSET,
    x_fal_no_retry: str | Unset = UNSET,
    x_fal_object_lifecycle_preference: str | Unset = UNSET,
    x_fal_store_io: SubmitKontextMaxXFalStoreIO | Unset = UNSET,
) -> Error | QueueSubmitResponse | None:
    """Queue a FLUX.1 Kontext [max] image-editing job

     Kontext [max] edit; same input as [pro]. Results live under `fal-ai/flux-pro/requests/...`.

    Args:
        fal_webhook (str | Unset):  Example: https://example.com/fal-hook.
        x_fal_request_timeout (float | Unset): Seconds until a runner must have started; above 1
            (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_request_start_timeout (float | Unset): Seconds until a runner must have started;
            above 1 (see `X-Fal-Request-Timeout`). Example: 30.
        x_fal_queue_priority (QueuePriority | str | Unset): A `QueuePriority`, or any other
            string, which fal treats as `normal`.
        x_fal_runner_hint (str | Unset):  Example: session-42.
        x_fal_no_retry (str | Unset):  Example: 1.
        x_fal_object_lifecycle_preference (str | Unset):  Example: {"expiration_duration_seconds":
            3600}.
        x_fal_store_io (SubmitKontextMaxXFalStoreIO | Unset):
        body (KontextEditInput): Input of `fal-ai/flux-pro/kontext` and `fal-ai/flux-
            pro/kontext/max`.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | QueueSubmitResponse
    """

    return (
        await asyncio_detailed(
            client=client,
            body=body,
            fal_webhook=fal_webhook,
            x_fal_request_timeout=x_fal_request_timeout,
            x_fal_request_start_timeout=x_fal_request_start_timeout,
            x_fal_queue_priority=x_fal_queue_priority,
            x_fal_runner_hint=x_fal_runner_hint,
            x_fal_no_retry=x_fal_no_retry,
            x_fal_object_lifecycle_preference=x_fal_object_lifecycle_preference,
            x_fal_store_io=x_fal_store_io,
        )
    ).parsed
