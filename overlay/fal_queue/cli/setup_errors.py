"""Submit failures that say the setup is wrong (the same for every line), not that one job is unlucky.

A batch pointed at a wrong address must not try 300 lines five times each: after a few submits
in a row fail the same way (connection refused, DNS, TLS, answers that are not a gateway's, a
model the gateway does not serve) the batch stops, with one line naming the setting to check.
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import errors as E
from .errors import not_a_gateway

__all__ = ["SETUP_STREAK", "SetupFailure", "setup_failure"]

#: Consecutive same-kind submit failures after which a batch stops sending.
SETUP_STREAK = 3

_DNS = ("name or service not known", "nodename nor servname", "getaddrinfo", "name resolution", "no address")
_TLS = ("ssl", "certificate", "tls", "handshake")


@dataclass(frozen=True)
class SetupFailure:
    kind: str  # what every line would hit
    reached_gateway: bool  # False: no byte of the request was answered (nothing can exist)
    check: str  # the setting to check


def setup_failure(err: BaseException) -> SetupFailure | None:
    """The setup problem a submit error shows, or None for an error of that one submit."""
    if isinstance(err, E.SubmitUncertainError):
        return None  # the request may have reached a gateway: never a setup verdict
    base = "FAL_QUEUE_BASE_URL (--base-url): is it the gateway's address, and is the gateway up?"
    if isinstance(err, E.APIConnectionError):
        text = err.message.lower()
        if any(word in text for word in _TLS):
            return SetupFailure("TLS failed", False, "FAL_QUEUE_BASE_URL (--base-url): https to a TLS port?")
        if any(word in text for word in _DNS):
            return SetupFailure("DNS lookup failed", False, "FAL_QUEUE_BASE_URL (--base-url): the host name")
        if isinstance(err, E.APITimeoutError):
            return SetupFailure("connecting timed out", False, base)
        return SetupFailure("could not connect (connection refused or failed)", False, base)
    if not_a_gateway(err) is not None:
        return SetupFailure("answers that are not a gateway's", True, base)
    if isinstance(err, E.NotFoundError):
        return SetupFailure(
            "the gateway does not serve this model (HTTP 404)",
            True,
            "--model, and FAL_QUEUE_BASE_URL (--base-url)",
        )
    return None
