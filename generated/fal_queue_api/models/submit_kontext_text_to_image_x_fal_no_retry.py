from typing import Literal

SubmitKontextTextToImageXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_KONTEXT_TEXT_TO_IMAGE_X_FAL_NO_RETRY_VALUES: set[
    SubmitKontextTextToImageXFalNoRetry
] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_kontext_text_to_image_x_fal_no_retry(
    value: str,
) -> SubmitKontextTextToImageXFalNoRetry:
    if value in SUBMIT_KONTEXT_TEXT_TO_IMAGE_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_TEXT_TO_IMAGE_X_FAL_NO_RETRY_VALUES!r}"
    )
