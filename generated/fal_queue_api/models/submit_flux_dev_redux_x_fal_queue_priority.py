from typing import Literal

SubmitFluxDevReduxXFalQueuePriority = Literal["low", "normal"]

SUBMIT_FLUX_DEV_REDUX_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitFluxDevReduxXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_flux_dev_redux_x_fal_queue_priority(
    value: str,
) -> SubmitFluxDevReduxXFalQueuePriority:
    if value in SUBMIT_FLUX_DEV_REDUX_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_REDUX_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
