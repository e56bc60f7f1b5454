from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.acceleration import Acceleration, check_acceleration
from ..models.image_size_preset import ImageSizePreset, check_image_size_preset
from ..models.output_format import OutputFormat, check_output_format
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.image_size import ImageSize


T = TypeVar("T", bound="FluxSchnellReduxInput")


@_attrs_define
class FluxSchnellReduxInput:
    """Input of `fal-ai/flux-1/schnell/redux`; takes no prompt and no guidance scale."""

    image_url: str
    """ URL or data URI of the image to vary. """
    image_size: ImageSize | ImageSizePreset | Unset = UNSET
    """ A preset name or an explicit `{width, height}`. Default: `landscape_4_3`. """
    num_inference_steps: int | Unset = UNSET
    """ Number of denoising steps. Default: 4. """
    seed: int | Unset = UNSET
    """ Seed for reproducible output; random when absent. """
    sync_mode: bool | Unset = UNSET
    """ Return media as data URIs instead of URLs. Default: false. """
    num_images: int | Unset = UNSET
    """ Number of images to generate. Default: 1. """
    enable_safety_checker: bool | Unset = UNSET
    """ Run the safety checker on the output. Default: true. """
    output_format: OutputFormat | Unset = UNSET
    """ File format of the generated images. Default: `jpeg`. """
    acceleration: Acceleration | Unset = UNSET
    """ Speed/quality trade-off of FLUX.1 inference. Default: `regular`. """

    def to_dict(self) -> dict[str, Any]:
        image_url = self.image_url

        image_size: dict[str, Any] | str | Unset
        if isinstance(self.image_size, Unset):
            image_size = UNSET
        elif isinstance(self.image_size, str):
            image_size = self.image_size
        else:
            image_size = self.image_size.to_dict()

        num_inference_steps = self.num_inference_steps

        seed = self.seed

        sync_mode = self.sync_mode

        num_images = self.num_images

        enable_safety_checker = self.enable_safety_checker

        output_format: str | Unset = UNSET
        if not isinstance(self.output_format, Unset):
            output_format = self.output_format

        acceleration: str | Unset = UNSET
        if not isinstance(self.acceleration, Unset):
            acceleration = self.acceleration

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "image_url": image_url,
            }
        )
        if image_size is not UNSET:
            field_dict["image_size"] = image_size
        if num_inference_steps is not UNSET:
            field_dict["num_inference_steps"] = num_inference_steps
        if seed is not UNSET:
            field_dict["seed"] = seed
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
        image_url = d.pop("image_url")

        def _parse_image_size(data: object) -> ImageSize | ImageSizePreset | Unset:
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
            if not isinstance(data, dict):
                raise TypeError()
            componentsschemas_image_size_setting_type_1 = ImageSize.from_dict(data)

            return componentsschemas_image_size_setting_type_1

        image_size = _parse_image_size(d.pop("image_size", UNSET))

        num_inference_steps = d.pop("num_inference_steps", UNSET)

        seed = d.pop("seed", UNSET)

        sync_mode = d.pop("sync_mode", UNSET)

        num_images = d.pop("num_images", UNSET)

        enable_safety_checker = d.pop("enable_safety_checker", UNSET)

        _output_format = d.pop("output_format", UNSET)
        output_format: OutputFormat | Unset
        if isinstance(_output_format, Unset):
            output_format = UNSET
        else:
            output_format = check_output_format(_output_format)

        _acceleration = d.pop("acceleration", UNSET)
        acceleration: Acceleration | Unset
        if isinstance(_acceleration, Unset):
            acceleration = UNSET
        else:
            acceleration = check_acceleration(_acceleration)

        flux_schnell_redux_input = cls(
            image_url=image_url,
            image_size=image_size,
            num_inference_steps=num_inference_steps,
            seed=seed,
            sync_mode=sync_mode,
            num_images=num_images,
            enable_safety_checker=enable_safety_checker,
            output_format=output_format,
            acceleration=acceleration,
        )

        return flux_schnell_redux_input
