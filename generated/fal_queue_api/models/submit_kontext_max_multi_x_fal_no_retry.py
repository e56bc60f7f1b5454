from typing import Literal

SubmitKontextMaxMultiXFalNoRetry = Literal["0", "1", "false", "true"]

SUBMIT_KONTEXT_MAX_MULTI_X_FAL_NO_RETRY_VALUES: set[
    SubmitKontextMaxMultiXFalNoRetry
] = {
    "0",
    "1",
    "false",
    "true",
}


def check_submit_kontext_max_multi_x_fal_no_retry(
    value: str,
) -> SubmitKontextMaxMultiXFalNoRetry:
    if value in SUBMIT_KONTEXT_MAX_MULTI_X_FAL_NO_RETRY_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_MULTI_X_FAL_NO_RETRY_VALUES!r}"
    )
