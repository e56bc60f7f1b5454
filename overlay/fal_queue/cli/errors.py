"""Exit codes, the CLI's own error, and the one-line rendering of every error.

Exit codes are part of the CLI's interface (scripts branch on them); ``fal-queue --help`` (``app.EPILOG``)
and the README say what each means.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from .. import errors as E
from .models import did_you_mean

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_ENV = 3
EXIT_NOT_DONE = 4
EXIT_INTERRUPTED = 130

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BREAKS = re.compile(r"[\t\n\r\x0b\x0c]+")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def clean(text: object) -> str:
    """Text safe for any terminal or pipe: control characters become visible ``\\xNN`` escapes.

    Log lines, error details and file names come from the server; none of them may move the
    cursor, change colours or reorder text (bidi overrides) on the user's terminal.
    """
    return _CONTROL.sub(_escape, str(text))


def one_line(text: object) -> str:
    """``clean`` text folded onto a single line."""
    return clean(_BREAKS.sub(" ", str(text)).strip())


class CliError(Exception):
    """An error the CLI reports as one line and an exit code (a usage error unless told otherwise)."""

    def __init__(
        self,
        message: str,
        exit_code: int = EXIT_USAGE,
        *,
        request_id: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code
        self.request_id = request_id
        self.cli_hint = hint


def add_hint(err: BaseException, hint: str) -> None:
    """Attach a hint (e.g. how to resume) that ``describe`` appends to the error's line."""
    err.cli_hint = getattr(err, "cli_hint", None) or hint  # type: ignore[attr-defined]


#: The exit code of each kind of SDK error, first match wins; any other error is EXIT_ENV
#: (configuration, connection, timeouts, 429/5xx after retries, downloads).
_EXIT_CODES: list[tuple[type[BaseException] | tuple[type[BaseException], ...], int]] = [
    (E.JobFailedError, EXIT_FAILED),
    (E.JobTimeoutError, EXIT_NOT_DONE),
    (E.InvalidInputError, EXIT_USAGE),
    ((E.AuthenticationError, E.PermissionDeniedError), EXIT_ENV),
    ((E.BadRequestError, E.NotFoundError, E.ValidationError), EXIT_USAGE),
]


def exit_code_for(err: BaseException) -> int:
    """The exit code of an SDK (or CLI) error."""
    if isinstance(err, CliError):
        return err.exit_code
    return next((code for kinds, code in _EXIT_CODES if isinstance(err, kinds)), EXIT_ENV)


#: SDK advice in Python words -> what a command-line user types instead.
_CLI_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"fetch it with result\('([^']+)', '([^']+)'\)"), r"fetch it: fal-queue result \1 \2"),
    (re.compile(r"\(?choose if_exists='rename' or 'overwrite'\)?"), "(pass --overwrite to replace it)"),
    (
        re.compile(r"pass allow_http=True \(env FAL_QUEUE_ALLOW_HTTP=1\)"),
        "set FAL_QUEUE_ALLOW_HTTP=1 (or allow_http = true in the config file)",
    ),
    (re.compile(r"^no base_url: pass base_url=,"), "no gateway URL: pass --base-url,"),
    (re.compile(r"^no API key: pass api_key=,"), "no API key: pass --key,"),
    (
        re.compile(r"resume with get_handle\('([^']+)', '([^']+)'\)"),
        r"resume: fal-queue download \1 \2 --out DIR",
    ),
    (
        re.compile(r"pass pathlib\.Path\(('[^']*'|\"[^\"]*\")\)"),
        r"pass it with --image \1 (a batch line names it relative to its JSONL file)",
    ),
    (re.compile(r"raise max_image_bytes"), "raise FAL_QUEUE_MAX_IMAGE_BYTES (max_image_bytes in the config)"),
]


#: The SDK's own "how to resume" advice, dropped when the CLI adds its resume command.
_SDK_RESUME = re.compile(r"(; resume with get_handle\([^)]*\)|; fetch it with result\([^)]*\))")


def cli_words(text: str, *, has_resume: bool = False) -> str:
    """The SDK's advice (``pass overwrite=True``) said the way a CLI user acts on it (``--overwrite``)."""
    if has_resume:
        text = _SDK_RESUME.sub("", text)
    for pattern, replacement in _CLI_WORDS:
        text = pattern.sub(replacement, text)
    return text


def _field_errors(errors: list[E.FieldError]) -> str:
    return "; ".join(f"{e.field}: {e.msg}" for e in errors[:8]) + ("; ..." if len(errors) > 8 else "")


def _first_bytes(body: object, limit: int = 60) -> str:
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    text = " ".join(str(body or "").split())
    return repr(text[:limit] + ("..." if len(text) > limit else "")) if text else "an empty body"


def _content_type(headers: Mapping[str, str]) -> str:
    kind = {k.lower(): v for k, v in headers.items()}.get("content-type", "")
    return kind.split(";")[0].strip() or "no content type"


def not_a_gateway(err: BaseException) -> str | None:
    """What came back, in words, when an answer is not a gateway's JSON; None when it is.

    A plain web server, a proxy's error page or a captive portal answers with HTML or text; the
    SDK's ``JSONDecodeError``/``KeyError`` says nothing a user can act on.
    """
    check = "check that FAL_QUEUE_BASE_URL (--base-url) is the gateway's address"
    if isinstance(err, E.RequestIdMismatchError):
        return None
    if isinstance(err, E.APIResponseValidationError):
        return (
            f"HTTP {err.status_code} ({_content_type(err.headers)}), but the answer is not a gateway's "
            f"(first bytes: {_first_bytes(err.body)}); {check}"
        )
    if isinstance(err, E.APIStatusError) and isinstance(err.body, str):
        kind = _content_type(err.headers)
        page = "an HTML page" if "<html" in err.body.lower() or "html" in kind else "text"
        if err.status_code in {502, 503, 504}:
            why = (
                "a proxy or ingress in front of the gateway failed, or this is not a gateway; "
                f"{check}, then retry later"
            )
        else:
            why = f"this is not a gateway's answer; {check}"
        return f"HTTP {err.status_code} with {page} ({kind}; first bytes: {_first_bytes(err.body)}): {why}"
    return None


def describe(err: CliError | E.FalQueueError) -> str:
    """One line naming what went wrong, and the request id when there is one.

    ``error: <what> (request_id=..., error_type=..., x-fal-request-id=...)``; the caller adds
    ``error:``. Never contains the API key (the SDK redacts it from every message it builds).
    """
    hint = getattr(err, "cli_hint", None)
    message = cli_words(err.message, has_resume=bool(hint))
    extras: list[str] = []
    words = not_a_gateway(err)
    if words is not None:
        operation = message.split(":", 1)[0] if ":" in message else "call"
        message = f"{operation}: {words}"
    elif isinstance(err, E.APIStatusError):
        message = f"HTTP {err.status_code}: {message}"
        if isinstance(err, E.ValidationError) and err.errors:
            message = f"HTTP 422: input rejected: {_field_errors(err.errors)}"
        if err.error_type:
            extras.append(f"error_type={err.error_type}")
    if isinstance(err, E.JobFailedError):
        message = message if message.startswith("job failed") else f"job failed: {message}"
        if err.errors:
            message += f": {_field_errors(err.errors)}"
        if err.error_type:
            extras.append(f"error_type={err.error_type}")
    if isinstance(err, E.SubmitUncertainError):
        message += " (do not blindly resubmit: a job may already exist and be billed)"
    if isinstance(err, E.SettingError) and err.setting == "key" and os.environ.get("FAL_KEY"):
        message += (
            " (FAL_KEY is set, but that is fal's own key, and fal-queue never sends it to a gateway; "
            "set FAL_QUEUE_KEY to the key your gateway gave you)"
        )
    if isinstance(err, E.AuthenticationError):
        message += " (check FAL_QUEUE_KEY / --key and --auth-scheme)"
    if isinstance(err, E.NotFoundError) and err.model_id and not err.request_id:
        guess = did_you_mean(err.model_id)
        message += (
            f" (the gateway does not serve {err.model_id}; {guess}`fal-queue models` lists the typed ids)"
        )
    if err.request_id:
        extras.insert(0, f"request_id={err.request_id}")
    server_id = getattr(err, "server_request_id", None)
    if server_id:
        extras.append(f"x-fal-request-id={server_id}")
    if isinstance(err, E.DownloadError):
        extras.append(f"url={err.url}")
    if hint:
        extras.append(hint)
    return one_line(message + (f" ({', '.join(extras)})" if extras else ""))
