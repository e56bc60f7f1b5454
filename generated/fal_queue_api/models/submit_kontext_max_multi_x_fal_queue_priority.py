from typing import Literal

SubmitKontextMaxMultiXFalQueuePriority = Literal["low", "normal"]

SUBMIT_KONTEXT_MAX_MULTI_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitKontextMaxMultiXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_kontext_max_multi_x_fal_queue_priority(
    value: str,
) -> SubmitKontextMaxMultiXFalQueuePriority:
    if value in SUBMIT_KONTEXT_MAX_MULTI_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_MULTI_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
