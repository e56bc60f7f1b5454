from typing import Literal

SubmitFluxDevXFalStoreIO = Literal["0", "1"]

SUBMIT_FLUX_DEV_X_FAL_STORE_IO_VALUES: set[SubmitFluxDevXFalStoreIO] = {
    "0",
    "1",
}


def check_submit_flux_dev_x_fal_store_io(value: str) -> SubmitFluxDevXFalStoreIO:
    if value in SUBMIT_FLUX_DEV_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_X_FAL_STORE_IO_VALUES!r}"
    )
