from typing import Literal

SubmitFluxDevXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_FLUX_DEV_X_FAL_NO_RETRY_VALUES: set[SubmitFluxDevXFalNoRetry] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_flux_dev_x_fal_no_retry(value: str) -> SubmitFluxDevXFalNoRetry:
    if value in SUBMIT_FLUX_DEV_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_FLUX_DEV_X_FAL_NO_RETRY_VALUES!r}"
    )
