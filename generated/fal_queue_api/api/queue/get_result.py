from http import HTTPStatus
from typing import Any
from urllib.parse import quote

import httpx

from ... import errors
from ...client import AuthenticatedClient, Client
from ...models.error import Error
from ...models.generic_output import GenericOutput
from ...models.image_output import ImageOutput
from ...models.kontext_edit_output import KontextEditOutput
from ...models.video_output import VideoOutput
from ...types import Response


def _get_kwargs(
    owner: str,
    app: str,
    request_id: str,
) -> dict[str, Any]:

    _kwargs: dict[str, Any] = {
        "method": "get",
        "url": "/{owner}/{app}/requests/{request_id}".format(
            owner=quote(str(owner), safe=""),
            app=quote(str(app), safe=""),
            request_id=quote(str(request_id), safe=""),
        ),
    }

    return _kwargs


def _parse_response(
    *, client: AuthenticatedClient | Client, response: httpx.Response
) -> Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput | None:
    if response.status_code == 200:

        def _parse_response_200(
            data: object,
        ) -> GenericOutput | ImageOutput | KontextEditOutput | VideoOutput:
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_result_output_type_0 = ImageOutput.from_dict(data)

                return componentsschemas_result_output_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_result_output_type_1 = KontextEditOutput.from_dict(
                    data
                )

                return componentsschemas_result_output_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_result_output_type_2 = VideoOutput.from_dict(data)

                return componentsschemas_result_output_type_2
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_result_output_type_3 = GenericOutput.from_dict(data)

            return componentsschemas_result_output_type_3

        response_200 = _parse_response_200(response.json())

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
) -> Response[Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput]:
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
) -> Response[Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput]:
    """Get a job's result

     The model's output once the job has completed: `images[]` for image models, `video` for video
    models, any JSON object for models this document does not list. A job that failed answers with
    its error status and body. Results expire: save them.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput]
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
) -> Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput | None:
    """Get a job's result

     The model's output once the job has completed: `images[]` for image models, `video` for video
    models, any JSON object for models this document does not list. A job that failed answers with
    its error status and body. Results expire: save them.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput
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
) -> Response[Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput]:
    """Get a job's result

     The model's output once the job has completed: `images[]` for image models, `video` for video
    models, any JSON object for models this document does not list. A job that failed answers with
    its error status and body. Results expire: save them.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput]
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
) -> Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput | None:
    """Get a job's result

     The model's output once the job has completed: `images[]` for image models, `video` for video
    models, any JSON object for models this document does not list. A job that failed answers with
    its error status and body. Results expire: save them.

    Args:
        owner (str):  Example: fal-ai.
        app (str):  Example: flux-1.
        request_id (str):  Example: 551a32da-52b2-4be8-bf2f-bfb7cce2b324.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Error | GenericOutput | ImageOutput | KontextEditOutput | VideoOutput
    """

    return (
        await asyncio_detailed(
            owner=owner,
            app=app,
            request_id=request_id,
            client=client,
        )
    ).parsed
