from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.acceleration import Acceleration, check_acceleration
from ..models.image_size_preset import ImageSizePreset, check_image_size_preset
from ..models.output_format import OutputFormat, check_output_format
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.image_size import ImageSize


T = TypeVar("T", bound="FluxSchnellTextToImageInput")


@_attrs_define
class FluxSchnellTextToImageInput:
    """Input of `fal-ai/flux-1/schnell`."""

    prompt: str
    """ The prompt to generate an image from. """
    image_size: ImageSize | ImageSizePreset | str | Unset = UNSET
    """ A preset name (`ImageSizePreset`, or one fal added since) or an explicit `{width, height}`. Default:
    `landscape_4_3`. """
    num_inference_steps: int | Unset = UNSET
    """ Number of denoising steps. Default: 4. """
    seed: int | None | Unset = UNSET
    """ Seed for reproducible output; random when absent or `null` (fal's FLUX.1 endpoints take `null`). """
    guidance_scale: float | Unset = UNSET
    """ How closely to follow the prompt (CFG). Default: 3.5. """
    sync_mode: bool | Unset = UNSET
    """ Return media as data URIs instead of URLs. Default: false. """
    num_images: int | Unset = UNSET
    """ Number of images to generate. Default: 1. """
    enable_safety_checker: bool | Unset = UNSET
    """ Run the safety checker on the output. Default: true. """
    output_format: OutputFormat | str | Unset = UNSET
    """ File format of the generated images: an `OutputFormat`, or a format fal added since. Default: `jpeg`. """
    acceleration: Acceleration | str | Unset = UNSET
    """ Speed/quality trade-off of FLUX.1 inference: an `Acceleration`, or a level fal added since. Default:
    `regular`. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.image_size import ImageSize

        prompt = self.prompt

        image_size: dict[str, Any] | str | Unset
        if isinstance(self.image_size, Unset):
            image_size = UNSET
        elif isinstance(self.image_size, str):
            image_size = self.image_size
        elif isinstance(self.image_size, ImageSize):
            image_size = self.image_size.to_dict()
        else:
            image_size = self.image_size

        num_inference_steps = self.num_inference_steps

        seed: int | None | Unset
        if isinstance(self.seed, Unset):
            seed = UNSET
        else:
            seed = self.seed

        guidance_scale = self.guidance_scale

        sync_mode = self.sync_mode

        num_images = self.num_images

        enable_safety_checker = self.enable_safety_checker

        output_format: str | Unset
        if isinstance(self.output_format, Unset):
            output_format = UNSET
        elif isinstance(self.output_format, str):
            output_format = self.output_format
        else:
            output_format = self.output_format

        acceleration: str | Unset
        if isinstance(self.acceleration, Unset):
            acceleration = UNSET
        elif isinstance(self.acceleration, str):
            acceleration = self.acceleration
        else:
            acceleration = self.acceleration

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "prompt": prompt,
            }
        )
        if image_size is not UNSET:
            field_dict["image_size"] = image_size
        if num_inference_steps is not UNSET:
            field_dict["num_inference_steps"] = num_inference_steps
        if seed is not UNSET:
            field_dict["seed"] = seed
        if guidance_scale is not UNSET:
            field_dict["guidance_scale"] = guidance_scale
        if sync_mode is not UNSET:
            field_dict["sync_mode"] = sync_mode
        if num_images is not UNSET:
            field_dict["num_images"] = num_images
        if enable_safety_checker is not UNSET:
            field_dict["enable_safety_checker"] = enable_safety_checker
        if output_format is not UNSET:
            field_dict["output_format"] = output_format
        if acceleration is not UNSET:
            field_dict["acceleration"] = acceleration

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.image_size import ImageSize

        d = dict(src_dict)
        prompt = d.pop("prompt")

        def _parse_image_size(
            data: object,
        ) -> ImageSize | ImageSizePreset | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_image_size_setting_type_0 = check_image_size_preset(
                    data
                )

                return componentsschemas_image_size_setting_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                componentsschemas_image_size_setting_type_1 = ImageSize.from_dict(data)

                return componentsschemas_image_size_setting_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(ImageSize | ImageSizePreset | str | Unset, data)

        image_size = _parse_image_size(d.pop("image_size", UNSET))

        num_inference_steps = d.pop("num_inference_steps", UNSET)

        def _parse_seed(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        seed = _parse_seed(d.pop("seed", UNSET))

        guidance_scale = d.pop("guidance_scale", UNSET)

        sync_mode = d.pop("sync_mode", UNSET)

        num_images = d.pop("num_images", UNSET)

        enable_safety_checker = d.pop("enable_safety_checker", UNSET)

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

        def _parse_acceleration(data: object) -> Acceleration | str | Unset:
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, str):
                    raise TypeError()
                componentsschemas_acceleration_setting_type_0 = check_acceleration(data)

                return componentsschemas_acceleration_setting_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Acceleration | str | Unset, data)

        acceleration = _parse_acceleration(d.pop("acceleration", UNSET))

        flux_schnell_text_to_image_input = cls(
            prompt=prompt,
            image_size=image_size,
            num_inference_steps=num_inference_steps,
            seed=seed,
            guidance_scale=guidance_scale,
            sync_mode=sync_mode,
            num_images=num_images,
            enable_safety_checker=enable_safety_checker,
            output_format=output_format,
            acceleration=acceleration,
        )

        flux_schnell_text_to_image_input.additional_properties = d
        return flux_schnell_text_to_image_input

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
