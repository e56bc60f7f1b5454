from typing import Literal

SubmitKontextMultiXFalStoreIO = Literal["0", "1"]

SUBMIT_KONTEXT_MULTI_X_FAL_STORE_IO_VALUES: set[SubmitKontextMultiXFalStoreIO] = {
    "0",
    "1",
}


def check_submit_kontext_multi_x_fal_store_io(
    value: str,
) -> SubmitKontextMultiXFalStoreIO:
    if value in SUBMIT_KONTEXT_MULTI_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MULTI_X_FAL_STORE_IO_VALUES!r}"
    )
