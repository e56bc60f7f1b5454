from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.aspect_ratio import AspectRatio, check_aspect_ratio
from ..models.output_format import OutputFormat, check_output_format
from ..models.safety_tolerance import SafetyTolerance, check_safety_tolerance
from ..types import UNSET, Unset

T = TypeVar("T", bound="KontextEditInput")


@_attrs_define
class KontextEditInput:
    """Input of `fal-ai/flux-pro/kontext` and `fal-ai/flux-pro/kontext/max`."""

    prompt: str
    """ What to change in the image. """
    image_url: str
    """ URL or data URI of the image to edit. """
    seed: int | Unset = UNSET
    """ Seed for reproducible output; random when absent. """
    guidance_scale: float | Unset = UNSET
    """ How closely to follow the prompt (CFG). Default: 3.5. """
    sync_mode: bool | Unset = UNSET
    """ Return media as data URIs instead of URLs. Default: false. """
    num_images: int | Unset = UNSET
    """ Number of images to generate. Default: 1. """
    output_format: OutputFormat | str | Unset = UNSET
    """ File format of the generated images: an `OutputFormat`, or a format fal added since. Default: `jpeg`. """
    safety_tolerance: SafetyTolerance | str | Unset = UNSET
    """ Kontext safety tolerance: a `SafetyTolerance`, or a level fal added since. Default: `2`. """
    enhance_prompt: bool | Unset = UNSET
    """ Let the model rewrite the prompt first. Default: false. """
    aspect_ratio: AspectRatio | str | Unset = UNSET
    """ Aspect ratio of the generated image: an `AspectRatio`, or a ratio fal added since. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        image_url = self.image_url

        seed = self.seed

        guidance_scale = self.guidance_scale

        sync_mode = self.sync_mode

        num_images = self.num_images

        output_format: str | Unset
        if isinstance(self.output_format, Unset):
            output_format = UNSET
        elif isinstance(self.output_format, str):
            output_format = self.output_format
        else:
            output_format = self.output_format

        safety_tolerance: str | Unset
        if isinstance(self.safety_tolerance, Unset):
            safety_tolerance = UNSET
        elif isinstance(self.safety_tolerance, str):
            safety_tolerance = self.safety_tolerance
        else:
            safety_tolerance = self.safety_tolerance

        enhance_prompt = self.enhance_prompt

        aspect_ratio: str | Unset
        if isinstance(self.aspect_ratio, Unset):
            aspect_ratio = UNSET
        elif isinstance(self.aspect_ratio, str):
            aspect_ratio = self.aspect_ratio
        else:
            aspect_ratio = self.aspect_ratio

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
                "image_url": image_url,
            }
        )
        if seed is not UNSET:
            field_dict["seed"] = seed
        if guidance_scale is not UNSET:
            field_dict["guidance_scale"] = guidance_scale
        if sync_mode is not UNSET:
            field_dict["sync_mode"] = sync_mode
        if num_images is not UNSET:
            field_dict["num_images"] = num_images
        if output_format is not UNSET:
            field_dict["output_format"] = output_format
        if safety_tolerance is not UNSET:
            field_dict["safety_tolerance"] = safety_tolerance
        if enhance_prompt is not UNSET:
            field_dict["enhance_prompt"] = enhance_prompt
        if aspect_ratio is not UNSET:
            field_dict["aspect_ratio"] = aspect_ratio

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        image_url = d.pop("image_url")

        seed = d.pop("seed", UNSET)

        guidance_scale = d.pop("guidance_scale", UNSET)

        sync_mode = d.pop("sync_mode", UNSET)

        num_images = d.pop("num_images", UNSET)

        def _parse_output_format(data: object) -> OutputFormat | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_output_format_setting_type_0 = check_output_format(
                    data
                )

                return componentsschemas_output_format_setting_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(OutputFormat | str | Unset, data)

        output_format = _parse_output_format(d.pop("output_format", UNSET))

        def _parse_safety_tolerance(data: object) -> SafetyTolerance | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_safety_tolerance_setting_type_0 = (
                    check_safety_tolerance(data)
                )

                return componentsschemas_safety_tolerance_setting_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(SafetyTolerance | str | Unset, data)

        safety_tolerance = _parse_safety_tolerance(d.pop("safety_tolerance", UNSET))

        enhance_prompt = d.pop("enhance_prompt", UNSET)

        def _parse_aspect_ratio(data: object) -> AspectRatio | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_aspect_ratio_setting_type_0 = check_aspect_ratio(data)

                return componentsschemas_aspect_ratio_setting_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(AspectRatio | str | Unset, data)

        aspect_ratio = _parse_aspect_ratio(d.pop("aspect_ratio", UNSET))

        kontext_edit_input = cls(
            prompt=prompt,
            image_url=image_url,
            seed=seed,
            guidance_scale=guidance_scale,
            sync_mode=sync_mode,
            num_images=num_images,
            output_format=output_format,
            safety_tolerance=safety_tolerance,
            enhance_prompt=enhance_prompt,
            aspect_ratio=aspect_ratio,
        )

        kontext_edit_input.additional_properties = d
        return kontext_edit_input

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
