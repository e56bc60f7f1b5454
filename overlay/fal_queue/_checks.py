"""The numeric rules every user-given number follows, written once.

A bool is never a number here, nor is nan or infinity. Each caller names the value and picks the
error type: a constructor's or config file's value is a ConfigurationError, a call's argument an
InvalidInputError.
"""

from __future__ import annotations

import math

from .errors import FalQueueError, InvalidInputError

__all__ = ["seconds", "whole_number"]


def _finite(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def seconds(
    value: object,
    what: str,
    *,
    above: float = 0.0,
    error: type[FalQueueError] = InvalidInputError,
    alternative: str = "",
) -> float:
    """A finite number of seconds greater than ``above``; ``alternative`` names other accepted forms."""
    number = _finite(value)
    if number is None or number <= above:
        kind = "positive seconds" if above == 0 else f"a number of seconds above {above:g}"
        raise error(f"{what} must be {kind}{alternative}, not {value!r}")
    return number


def whole_number(value: object, what: str, *, error: type[FalQueueError] = InvalidInputError) -> int:
    """A whole number >= 0 (``2.0`` is 2)."""
    number = _finite(value)
    if number is None or number != int(number) or number < 0:
        raise error(f"{what} must be a whole number >= 0, not {value!r}")
    return int(number)
