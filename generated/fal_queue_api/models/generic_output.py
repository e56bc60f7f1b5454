from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.file import File
    from ..models.file_image import FileImage


T = TypeVar("T", bound="GenericOutput")


@_attrs_define
class GenericOutput:
    """Output of a model this document does not describe: any JSON object, except that `images`, when
    present, is a list of images and `video` a file (so a changed shape of either is caught).

    """

    images: list[FileImage] | Unset = UNSET
    """ Generated images, when the model returns any. """
    video: File | Unset = UNSET
    """ A generated file, e.g. a video. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        images: list[dict[str, Any]] | Unset = UNSET
        if not isinstance(self.images, Unset):
            images = []
            for images_item_data in self.images:
                images_item = images_item_data.to_dict()
                images.append(images_item)

        video: dict[str, Any] | Unset = UNSET
        if not isinstance(self.video, Unset):
            video = self.video.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if images is not UNSET:
            field_dict["images"] = images
        if video is not UNSET:
            field_dict["video"] = video

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.file import File
        from ..models.file_image import FileImage

        d = dict(src_dict)
        _images = d.pop("images", UNSET)
        images: list[FileImage] | Unset = UNSET
        if _images is not UNSET:
            images = []
            for images_item_data in _images:
                images_item = FileImage.from_dict(images_item_data)

                images.append(images_item)

        _video = d.pop("video", UNSET)
        video: File | Unset
        if isinstance(_video, Unset):
            video = UNSET
        else:
            video = File.from_dict(_video)

        generic_output = cls(
            images=images,
            video=video,
        )

        generic_output.additional_properties = d
        return generic_output

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
