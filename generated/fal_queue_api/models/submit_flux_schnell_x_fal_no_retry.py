from typing import Literal

SubmitFluxSchnellXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_FLUX_SCHNELL_X_FAL_NO_RETRY_VALUES: set[SubmitFluxSchnellXFalNoRetry] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_flux_schnell_x_fal_no_retry(
    value: str,
) -> SubmitFluxSchnellXFalNoRetry:
    if value in SUBMIT_FLUX_SCHNELL_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_SCHNELL_X_FAL_NO_RETRY_VALUES!r}"
    )
