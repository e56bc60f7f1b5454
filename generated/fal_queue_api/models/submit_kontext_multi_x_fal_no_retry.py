from typing import Literal

SubmitKontextMultiXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_KONTEXT_MULTI_X_FAL_NO_RETRY_VALUES: set[SubmitKontextMultiXFalNoRetry] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_kontext_multi_x_fal_no_retry(
    value: str,
) -> SubmitKontextMultiXFalNoRetry:
    if value in SUBMIT_KONTEXT_MULTI_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MULTI_X_FAL_NO_RETRY_VALUES!r}"
    )
