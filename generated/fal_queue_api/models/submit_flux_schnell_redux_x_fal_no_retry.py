from typing import Literal

SubmitFluxSchnellReduxXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_NO_RETRY_VALUES: set[
    SubmitFluxSchnellReduxXFalNoRetry
] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_flux_schnell_redux_x_fal_no_retry(
    value: str,
) -> SubmitFluxSchnellReduxXFalNoRetry:
    if value in SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_SCHNELL_REDUX_X_FAL_NO_RETRY_VALUES!r}"
    )
