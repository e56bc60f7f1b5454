from typing import Literal

SubmitKontextMaxTextToImageXFalQueuePriority = Literal["low", "normal"]

SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_QUEUE_PRIORITY_VALUES: set[
    SubmitKontextMaxTextToImageXFalQueuePriority
] = {
    "low",
    "normal",
}


def check_submit_kontext_max_text_to_image_x_fal_queue_priority(
    value: str,
) -> SubmitKontextMaxTextToImageXFalQueuePriority:
    if value in SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_QUEUE_PRIORITY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_QUEUE_PRIORITY_VALUES!r}"
    )
