from typing import Literal

SubmitKontextMaxXFalQueuePriority = Literal["low", "normal"]

SUBMIT_KONTEXT_MAX_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitKontextMaxXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_kontext_max_x_fal_queue_priority(
    value: str,
) -> SubmitKontextMaxXFalQueuePriority:
    if value in SUBMIT_KONTEXT_MAX_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
