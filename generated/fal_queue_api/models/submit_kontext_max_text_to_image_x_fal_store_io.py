from typing import Literal

SubmitKontextMaxTextToImageXFalStoreIO = Literal["0", "1"]

SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_STORE_IO_VALUES: set[
    SubmitKontextMaxTextToImageXFalStoreIO
] = {
    "0",
    "1",
}


def check_submit_kontext_max_text_to_image_x_fal_store_io(
    value: str,
) -> SubmitKontextMaxTextToImageXFalStoreIO:
    if value in SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_TEXT_TO_IMAGE_X_FAL_STORE_IO_VALUES!r}"
    )
