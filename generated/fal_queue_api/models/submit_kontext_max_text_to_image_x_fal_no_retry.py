from typing import Literal

SubmitKontextMaxTextToImageXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_NO_RETRY_VALUES: set[
    SubmitKontextMaxTextToImageXFalNoRetry
] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_kontext_max_text_to_image_x_fal_no_retry(
    value: str,
) -> SubmitKontextMaxTextToImageXFalNoRetry:
    if value in SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_NO_RETRY_VALUES!r}"
    )
