from typing import Literal

SubmitKontextXFalStoreIO = Literal["0", "1"]

SUBMIT_KONTEXT_X_FAL_STORE_IO_VALUES: set[SubmitKontextXFalStoreIO] = {
    "0",
    "1",
}


def check_submit_kontext_x_fal_store_io(value: str) -> SubmitKontextXFalStoreIO:
    if value in SUBMIT_KONTEXT_X_FAL_STORE_IO_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {SUBMIT_KONTEXT_X_FAL_STORE_IO_VALUES!r}"
    )
