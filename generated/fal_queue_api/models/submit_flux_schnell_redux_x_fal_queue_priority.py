from typing import Literal

SubmitFluxSchnellReduxXFalQueuePriority = Literal["low", "normal"]

SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitFluxSchnellReduxXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_flux_schnell_redux_x_fal_queue_priority(
    value: str,
) -> SubmitFluxSchnellReduxXFalQueuePriority:
    if value in SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
