from typing import Literal

SubmitFluxDevImageToImageXFalQueuePriority = Literal["low", "normal"]

SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitFluxDevImageToImageXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_flux_dev_image_to_image_x_fal_queue_priority(
    value: str,
) -> SubmitFluxDevImageToImageXFalQueuePriority:
    if value in SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
