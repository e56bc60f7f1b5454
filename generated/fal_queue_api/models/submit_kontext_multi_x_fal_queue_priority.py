from typing import Literal

SubmitKontextMultiXFalQueuePriority = Literal["low", "normal"]

SUBMIT_KONTEXT_MULTI_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitKontextMultiXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_kontext_multi_x_fal_queue_priority(
    value: str,
) -> SubmitKontextMultiXFalQueuePriority:
    if value in SUBMIT_KONTEXT_MULTI_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MULTI_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
