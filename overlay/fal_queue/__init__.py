"""fal_queue: the typed, retry-safe SDK for fal's queue API behind intermediary gateways.

from fal_queue import Client
with Client() as client:                      # FAL_QUEUE_BASE_URL / FAL_QUEUE_KEY
    result = client.subscribe("fal-ai/flux-1/schnell", {"prompt": "a cat"})
    client.download(result, "out/")
"""

from __future__ import annotations

from ._core import TYPED_MODELS
from ._transport import RetryPolicy
from .client import AsyncClient, AsyncHandle, Client, SyncHandle
from .download import DownloadProgress
from .errors import (
    APIConnectionError,
    APIError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    DownloadError,
    DownloadTimeoutError,
    FalQueueError,
    FieldError,
    InvalidInputError,
    JobFailedError,
    JobTimeoutError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RequestIdMismatchError,
    ServerError,
    SubmitUncertainError,
    UnknownFieldWarning,
    ValidationError,
)
from .polling import PollPolicy
from .types import Completed, File, InProgress, Queued, Result, Status, UnknownStatus

#: The model ids with typed inputs (the submit operations of openapi.yaml).
TYPED_MODEL_IDS: tuple[str, ...] = tuple(TYPED_MODELS)

__all__ = [
    "TYPED_MODEL_IDS",
    "APIConnectionError",
    "APIError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AsyncClient",
    "AsyncHandle",
    "AuthenticationError",
    "BadRequestError",
    "Client",
    "Completed",
    "ConfigurationError",
    "DownloadError",
    "DownloadProgress",
    "DownloadTimeoutError",
    "FalQueueError",
    "FieldError",
    "File",
    "InProgress",
    "InvalidInputError",
    "JobFailedError",
    "JobTimeoutError",
    "NotFoundError",
    "PermissionDeniedError",
    "PollPolicy",
    "Queued",
    "RateLimitError",
    "RequestIdMismatchError",
    "Result",
    "RetryPolicy",
    "ServerError",
    "Status",
    "SubmitUncertainError",
    "SyncHandle",
    "UnknownFieldWarning",
    "UnknownStatus",
    "ValidationError",
]
