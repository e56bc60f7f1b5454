from typing import Literal

SubmitFluxDevImageToImageXFalStoreIO = Literal["0", "1"]

SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_STORE_IO_VALUES: set[
    SubmitFluxDevImageToImageXFalStoreIO
] = {
    "0",
    "1",
}


def check_submit_flux_dev_image_to_image_x_fal_store_io(
    value: str,
) -> SubmitFluxDevImageToImageXFalStoreIO:
    if value in SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_IMAGE_TO_IMAGE_X_FAL_STORE_IO_VALUES!r}"
    )
