from typing import Literal

SubmitFluxDevImageToImageXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_NO_RETRY_VALUES: set[
    SubmitFluxDevImageToImageXFalNoRetry
] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_flux_dev_image_to_image_x_fal_no_retry(
    value: str,
) -> SubmitFluxDevImageToImageXFalNoRetry:
    if value in SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_NO_RETRY_VALUES!r}"
    )
