from typing import Literal

ImageSizePreset = Literal[
    "landscape_16_9",
    "landscape_4_3",
    "portrait_16_9",
    "portrait_4_3",
    "square",
    "square_hd",
]

IMAGE_SIZE_PRESET_VALUES: set[ImageSizePreset] = {
    "landscape_16_9",
    "landscape_4_3",
    "portrait_16_9",
    "portrait_4_3",
    "square",
    "square_hd",
}


def check_image_size_preset(value: str) -> ImageSizePreset:
    if value in IMAGE_SIZE_PRESET_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {IMAGE_SIZE_PRESET_VALUES!r}"
    )
