from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.stream_status_logs import StreamStatusLogs
from ...types import UNSET, Response, Unset


def _get_kwargs(
    owner: str,
    app: str,
    request_id: str,
    *,
    logs: StreamStatusLogs | Unset = UNSET,
) -> dict[str, Any]:

    params: dict[str, Any] = {}

    json_logs: str | Unset = UNSET
    if not isinstance(logs, Unset):
        json_logs = logs

    params["logs"] = json_logs

    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/{owner}/{app}/requests/{request_id}/status/stream".format(
            owner=quote(str(owner), safe=""),
            app=quote(str(app), safe=""),
            request_id=quote(str(request_id), safe=""),
        ),
        "params": params,
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | str | None:
    if response.status_code == 200:
        response_200 = response.text
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
) -> Response[Error | str]:
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
    logs: StreamStatusLogs | Unset = UNSET,
) -> Response[Error | str]:
    """Stream a job's status as Server-Sent Events

     One `data:` event carrying a `RequestStatus` JSON object whenever the status changes, a `: ping`
    comment about every 15 seconds, and the stream closes after the `COMPLETED` event.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.
        logs (StreamStatusLogs | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | str]
    """

    kwargs = _get_kwargs(
        owner=owner,
        app=app,
        request_id=request_id,
        logs=logs,
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
    logs: StreamStatusLogs | Unset = UNSET,
) -> Error | str | None:
    """Stream a job's status as Server-Sent Events

     One `data:` event carrying a `RequestStatus` JSON object whenever the status changes, a `: ping`
    comment about every 15 seconds, and the stream closes after the `COMPLETED` event.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.
        logs (StreamStatusLogs | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | str
    """

    return sync_detailed(
        owner=owner,
        app=app,
        request_id=request_id,
        client=client,
        logs=logs,
    ).parsed


async def asyncio_detailed(
    owner: str,
    app: str,
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
    logs: StreamStatusLogs | Unset = UNSET,
) -> Response[Error | str]:
    """Stream a job's status as Server-Sent Events

     One `data:` event carrying a `RequestStatus` JSON object whenever the status changes, a `: ping`
    comment about every 15 seconds, and the stream closes after the `COMPLETED` event.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.
        logs (StreamStatusLogs | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | str]
    """

    kwargs = _get_kwargs(
        owner=owner,
        app=app,
        request_id=request_id,
        logs=logs,
    )

    response = await client.get_async_httpx_client().request(**kwargs)

    return _build_response(client=client, response=response)


async def asyncio(
    owner: str,
    app: str,
    request_id: str,
    *,
    client: AuthenticatedClient | Client,
    logs: StreamStatusLogs | Unset = UNSET,
) -> Error | str | None:
    """Stream a job's status as Server-Sent Events

     One `data:` event carrying a `RequestStatus` JSON object whenever the status changes, a `: ping`
    comment about every 15 seconds, and the stream closes after the `COMPLETED` event.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.
        logs (StreamStatusLogs | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | str
    """

    return (
        await asyncio_detailed(
            owner=owner,
            app=app,
            request_id=request_id,
            client=client,
            logs=logs,
        )
    ).parsed
