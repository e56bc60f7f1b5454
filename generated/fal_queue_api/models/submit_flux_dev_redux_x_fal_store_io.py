from typing import Literal

SubmitFluxDevReduxXFalStoreIO = Literal["0", "1"]

SUBMIT_FLUX_DEV_REDUX_X_FAL_STORE_IO_VALUES: set[SubmitFluxDevReduxXFalStoreIO] = {
    "0",
    "1",
}


def check_submit_flux_dev_redux_x_fal_store_io(
    value: str,
) -> SubmitFluxDevReduxXFalStoreIO:
    if value in SUBMIT_FLUX_DEV_REDUX_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_REDUX_X_FAL_STORE_IO_VALUES!r}"
    )
