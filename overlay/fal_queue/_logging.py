"""The ``fal_queue`` logger: silent by default, switched on by ``FAL_QUEUE_LOG``, key-proof.

Every registered :class:`~fal_queue._transport.Secret` is scrubbed from every record the logger
emits, so even a careless ``logger.debug(headers)`` cannot leak the key.
"""

from __future__ import annotations

import logging
import os
import weakref

from ._constants import ENV_LOG
from ._transport import Secret

logger = logging.getLogger("fal_queue")
_secrets: weakref.WeakSet[Secret] = weakref.WeakSet()
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


def _redact(record: logging.LogRecord) -> bool:
    if not _secrets:
        return True
    message = record.getMessage()
    redacted = message
    for secret in sorted(_secrets, key=lambda x: len(x.get()), reverse=True):
        redacted = secret.redact(redacted)
    if redacted != message:
        record.msg, record.args = redacted, None
    return True


logger.addFilter(_redact)


def register_secret(secret: Secret) -> None:
    _secrets.add(secret)


def setup_from_env() -> None:
    """Attach a stderr handler once when FAL_QUEUE_LOG names a level (debug, info, ...)."""
    level = _LEVELS.get(os.environ.get(ENV_LOG, "").strip().lower())
    if level is None or any(getattr(h, "_fal_queue", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler()
    handler._fal_queue = True  # type: ignore[attr-defined]
    handler.addFilter(_redact)  # records of child loggers too
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
