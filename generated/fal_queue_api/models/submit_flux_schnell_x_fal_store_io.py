from typing import Literal

SubmitFluxSchnellXFalStoreIO = Literal["0", "1"]

SUBMIT_FLUX_SCHNELL_X_FAL_STORE_IO_VALUES: set[SubmitFluxSchnellXFalStoreIO] = {
    "0",
    "1",
}


def check_submit_flux_schnell_x_fal_store_io(
    value: str,
) -> SubmitFluxSchnellXFalStoreIO:
    if value in SUBMIT_FLUX_SCHNELL_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_SCHNELL_X_FAL_STORE_IO_VALUES!r}"
    )
