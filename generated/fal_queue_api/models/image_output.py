from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.image import Image
    from ..models.image_output_timings import ImageOutputTimings


T = TypeVar("T", bound="ImageOutput")


@_attrs_define
class ImageOutput:
    """Output of nine of the eleven image models: FLUX.1 [dev] and [schnell] (all five) and Kontext
    multi-image and text-to-image (four). Every image carries `width` and `height`.

    """

    images: list[Image]
    """ The generated images. """
    timings: ImageOutputTimings
    """ Seconds spent per stage, e.g. `inference`. """
    seed: int
    """ The seed used. """
    has_nsfw_concepts: list[bool]
    """ One flag per image. """
    prompt: str
    """ The prompt used (empty for Redux). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        images = []
        for images_item_data in self.images:
            images_item = images_item_data.to_dict()
            images.append(images_item)

        timings = self.timings.to_dict()

        seed = self.seed

        has_nsfw_concepts = self.has_nsfw_concepts

        prompt = self.prompt

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "images": images,
                "timings": timings,
                "seed": seed,
                "has_nsfw_concepts": has_nsfw_concepts,
                "prompt": prompt,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.image import Image
        from ..models.image_output_timings import ImageOutputTimings

        d = dict(src_dict)
        images = []
        _images = d.pop("images")
        for images_item_data in _images:
            images_item = Image.from_dict(images_item_data)

            images.append(images_item)

        timings = ImageOutputTimings.from_dict(d.pop("timings"))

        seed = d.pop("seed")

        has_nsfw_concepts = cast(list[bool], d.pop("has_nsfw_concepts"))

        prompt = d.pop("prompt")

        image_output = cls(
            images=images,
            timings=timings,
            seed=seed,
            has_nsfw_concepts=has_nsfw_concepts,
            prompt=prompt,
        )

        image_output.additional_properties = d
        return image_output

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
