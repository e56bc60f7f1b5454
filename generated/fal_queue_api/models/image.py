from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Image")


@_attrs_define
class Image:
    """A generated image of the FLUX.1 models and of Kontext multi-image and text-to-image: fal's
    per-endpoint documents require `url`, `width` and `height`.

    """

    url: str
    """ Public URL of the file (expires), or a data URI in sync mode. """
    width: int
    """ Width in pixels. """
    height: int
    """ Height in pixels. """
    content_type: str | Unset = UNSET
    """ MIME type. Default: `image/jpeg`. """
    file_name: str | Unset = UNSET
    """ Suggested file name (never trust it as a path). """
    file_size: int | Unset = UNSET
    """ Size in bytes. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        url = self.url

        width = self.width

        height = self.height

        content_type = self.content_type

        file_name = self.file_name

        file_size = self.file_size

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "url": url,
                "width": width,
                "height": height,
            }
        )
        if content_type is not UNSET:
            field_dict["content_type"] = content_type
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if file_size is not UNSET:
            field_dict["file_size"] = file_size

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        url = d.pop("url")

        width = d.pop("width")

        height = d.pop("height")

        content_type = d.pop("content_type", UNSET)

        file_name = d.pop("file_name", UNSET)

        file_size = d.pop("file_size", UNSET)

        image = cls(
            url=url,
            width=width,
            height=height,
            content_type=content_type,
            file_name=file_name,
            file_size=file_size,
        )

        image.additional_properties = d
        return image

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
