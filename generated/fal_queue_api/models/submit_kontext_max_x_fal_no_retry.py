from typing import Literal

SubmitKontextMaxXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_KONTEXT_MAX_X_FAL_NO_RETRY_VALUES: set[SubmitKontextMaxXFalNoRetry] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_kontext_max_x_fal_no_retry(value: str) -> SubmitKontextMaxXFalNoRetry:
    if value in SUBMIT_KONTEXT_MAX_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_X_FAL_NO_RETRY_VALUES!r}"
    )
