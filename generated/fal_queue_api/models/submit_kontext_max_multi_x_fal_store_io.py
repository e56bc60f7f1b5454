from typing import Literal

SubmitKontextMaxMultiXFalStoreIO = Literal["0", "1"]

SUBMIT_KONTEXT_MAX_MULTI_X_FAL_STORE_IO_VALUES: set[
    SubmitKontextMaxMultiXFalStoreIO
] = {
    "0",
    "1",
}


def check_submit_kontext_max_multi_x_fal_store_io(
    value: str,
) -> SubmitKontextMaxMultiXFalStoreIO:
    if value in SUBMIT_KONTEXT_MAX_MULTI_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_MULTI_X_FAL_STORE_IO_VALUES!r}"
    )
