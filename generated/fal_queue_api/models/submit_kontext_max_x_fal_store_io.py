from typing import Literal

SubmitKontextMaxXFalStoreIO = Literal["0", "1"]

SUBMIT_KONTEXT_MAX_X_FAL_STORE_IO_VALUES: set[SubmitKontextMaxXFalStoreIO] = {
    "0",
    "1",
}


def check_submit_kontext_max_x_fal_store_io(value: str) -> SubmitKontextMaxXFalStoreIO:
    if value in SUBMIT_KONTEXT_MAX_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_MAX_X_FAL_STORE_IO_VALUES!r}"
    )
