from typing import Literal

SubmitKontextXFalQueuePriority = Literal["low", "normal"]

SUBMIT_KONTEXT_X_FAL_QUEUE_PRIORITY_VALUES: set[SubmitKontextXFalQueuePriority] = {
    "low",
    "normal",
}


def check_submit_kontext_x_fal_queue_priority(
    value: str,
) -> SubmitKontextXFalQueuePriority:
    if value in SUBMIT_KONTEXT_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
