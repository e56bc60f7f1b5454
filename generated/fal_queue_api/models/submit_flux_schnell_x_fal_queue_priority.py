from typing import Literal

SubmitFluxSchnellXFalQueuePriority = Literal["low", "normal"]

SUBMIT_FLUX_SCHNELL_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitFluxSchnellXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_flux_schnell_x_fal_queue_priority(
    value: str,
) -> SubmitFluxSchnellXFalQueuePriority:
    if value in SUBMIT_FLUX_SCHNELL_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_SCHNELL_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
