from typing import Literal

Acceleration = Literal["high", "none", "regular"]

ACCELERATION_VALUES: set[Acceleration] = {
    "high",
    "none",
    "regular",
}


def check_acceleration(value: str) -> Acceleration:
    if value in ACCELERATION_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {ACCELERATION_VALUES!r}"
    )
