"""The numeric rules every number the SDK is given follows, written once.

A bool is never a number here, nor is nan or infinity, nor a negative number. Each caller names the
value and picks the error type: a constructor's or config file's value is a ConfigurationError, a
call's argument (or a PollPolicy's, a ValueError as before) an InvalidInputError.
"""

from __future__ import annotations

import math

from .errors import FalQueueError, InvalidInputError


def finite(value: object) -> float | None:
    """``value`` as a float when it is a finite number >= 0, or text spelling one (a header's)."""
    if isinstance(value, str):
        try:
            return finite(float(value))
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _number(value: object) -> float | None:
    """A number given as such: text is not one here."""
    return None if isinstance(value, str) else finite(value)


def seconds(
    value: object,
    what: str,
    *,
    above: float = 0.0,
    error: type[FalQueueError] = InvalidInputError,
    alternative: str = "",
) -> float:
    """A finite number of seconds greater than ``above``; ``alternative`` names other accepted forms."""
    number = _number(value)
    if number is None or number <= above:
        kind = "positive seconds" if above == 0 else f"a number of seconds above {above:g}"
        raise error(f"{what} must be {kind}{alternative}, not {value!r}")
    return number


def at_least(
    value: object, what: str, least: float, *, error: type[FalQueueError] = InvalidInputError
) -> float:
    number = _number(value)
    if number is None or number < least:
        raise error(f"{what} must be a number >= {least:g}, not {value!r}")
    return number


def whole_number(
    value: object, what: str, *, least: int = 0, error: type[FalQueueError] = InvalidInputError
) -> int:
    """A whole number >= ``least`` (``2.0`` is 2)."""
    number = _number(value)
    if number is None or number != int(number) or number < least:
        raise error(f"{what} must be a whole number >= {least}, not {value!r}")
    return int(number)
