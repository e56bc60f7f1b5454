from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.cancel_response import CancelResponse
from ...models.error import Error
from ...types import Response


def _get_kwargs(
    owner: str,
    app: str,
    request_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "put",
        "url": "/{owner}/{app}/requests/{request_id}/cancel".format(
            owner=quote(str(owner), safe=""),
            app=quote(str(app), safe=""),
            request_id=quote(str(request_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> CancelResponse | Error | None:
    if response.status_code == 200:
        response_200 = CancelResponse.from_dict(response.json())

        return response_200

    if response.status_code == 202:
        response_202 = CancelResponse.from_dict(response.json())

        return response_202

    if response.status_code == 400:
        response_400 = CancelResponse.from_dict(response.json())

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
) -> Response[CancelResponse | Error]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    owner: str,
    app: str,
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[CancelResponse | Error]:
    """Cancel a job

     `202 CANCELLATION_REQUESTED` while the job has not completed (a job about to start may still
    run); `400 ALREADY_COMPLETED` once it has. fal's per-endpoint documents answer `200` with
    `{"success": true}` (or `false` when the job could not be cancelled) instead. A cancelled job
    completes with `error_type` `client_cancelled`.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelResponse | Error]
    """

    kwargs = _get_kwargs(
        owner=owner,
        app=app,
        request_id=request_id,
    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)


def sync(
    owner: str,
    app: str,
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> CancelResponse | Error | None:
    """Cancel a job

     `202 CANCELLATION_REQUESTED` while the job has not completed (a job about to start may still
    run); `400 ALREADY_COMPLETED` once it has. fal's per-endpoint documents answer `200` with
    `{"success": true}` (or `false` when the job could not be cancelled) instead. A cancelled job
    completes with `error_type` `client_cancelled`.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelResponse | Error
    """

    return sync_detailed(
        owner=owner,
        app=app,
        request_id=request_id,
        client=client,
    ).parsed


async def asyncio_detailed(
    owner: str,
    app: str,
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> Response[CancelResponse | Error]:
    """Cancel a job

     `202 CANCELLATION_REQUESTED` while the job has not completed (a job about to start may still
    run); `400 ALREADY_COMPLETED` once it has. fal's per-endpoint documents answer `200` with
    `{"success": true}` (or `false` when the job could not be cancelled) instead. A cancelled job
    completes with `error_type` `client_cancelled`.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[CancelResponse | Error]
    """

    kwargs = _get_kwargs(
        owner=owner,
        app=app,
        request_id=request_id,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    owner: str,
    app: str,
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
) -> CancelResponse | Error | None:
    """Cancel a job

     `202 CANCELLATION_REQUESTED` while the job has not completed (a job about to start may still
    run); `400 ALREADY_COMPLETED` once it has. fal's per-endpoint documents answer `200` with
    `{"success": true}` (or `false` when the job could not be cancelled) instead. A cancelled job
    completes with `error_type` `client_cancelled`.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        CancelResponse | Error
    """

    return (
        await asyncio_detailed(
            owner=owner,
            app=app,
            request_id=request_id,
            client=client,
        )
    ).parsed
