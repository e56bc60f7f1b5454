from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

if TYPE_CHECKING:
    from ..models.file_image import FileImage
    from ..models.kontext_edit_output_timings import KontextEditOutputTimings


T = TypeVar("T", bound="KontextEditOutput")


@_attrs_define
class KontextEditOutput:
    """Output of Kontext edit (`fal-ai/flux-pro/kontext`, `fal-ai/flux-pro/kontext/max`), whose images may lack a size."""

    images: list[FileImage]
    """ The edited images. """
    timings: KontextEditOutputTimings
    """ Seconds spent per stage, e.g. `inference`. """
    seed: int
    """ The seed used. """
    has_nsfw_concepts: list[bool]
    """ One flag per image. """
    prompt: str
    """ The prompt used. """
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
        from ..models.file_image import FileImage
        from ..models.kontext_edit_output_timings import KontextEditOutputTimings

        d = dict(src_dict)
        images = []
        _images = d.pop("images")
        for images_item_data in _images:
            images_item = FileImage.from_dict(images_item_data)

            images.append(images_item)

        timings = KontextEditOutputTimings.from_dict(d.pop("timings"))

        seed = d.pop("seed")

        has_nsfw_concepts = cast(list[bool], d.pop("has_nsfw_concepts"))

        prompt = d.pop("prompt")

        kontext_edit_output = cls(
            images=images,
            timings=timings,
            seed=seed,
            has_nsfw_concepts=has_nsfw_concepts,
            prompt=prompt,
        )

        kontext_edit_output.additional_properties = d
        return kontext_edit_output

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
