from typing import Literal

SubmitFluxSchnellReduxXFalStoreIO = Literal["0", "1"]

SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_STORE_IO_VALUES: set[
    SubmitFluxSchnellReduxXFalStoreIO
] = {
    "0",
    "1",
}


def check_submit_flux_schnell_redux_x_fal_store_io(
    value: str,
) -> SubmitFluxSchnellReduxXFalStoreIO:
    if value in SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_STORE_IO_VALUES!r}"
    )
