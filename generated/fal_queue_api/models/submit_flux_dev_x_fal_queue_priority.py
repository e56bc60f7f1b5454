from typing import Literal

SubmitFluxDevXFalQueuePriority = Literal["low", "normal"]

SUBMIT_FLUX_DEV_X_FAL_QUEUE_PRIORITY_VALUES: set[SubmitFluxDevXFalQueuePriority] = {
    "low",
    "normal",
}


def check_submit_flux_dev_x_fal_queue_priority(
    value: str,
) -> SubmitFluxDevXFalQueuePriority:
    if value in SUBMIT_FLUX_DEV_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
