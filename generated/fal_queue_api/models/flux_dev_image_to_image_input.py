from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.acceleration import Acceleration, check_acceleration
from ..models.output_format import OutputFormat, check_output_format
from ..types import UNSET, Unset

T = TypeVar("T", bound="FluxDevImageToImageInput")


@_attrs_define
class FluxDevImageToImageInput:
    """Input of `fal-ai/flux-1/dev/image-to-image`; the output size follows the input image."""

    image_url: str
    """ URL or data URI of the image to transform. """
    prompt: str
    """ The prompt to transform the image with. """
    strength: float | Unset = UNSET
    """ How far to move from the input image (1 ignores it). Default: 0.95. """
    num_inference_steps: int | Unset = UNSET
    """ Number of denoising steps. Default: 40. """
    seed: int | Unset = UNSET
    """ Seed for reproducible output; random when absent. """
    guidance_scale: float | Unset = UNSET
    """ How closely to follow the prompt (CFG). Default: 3.5. """
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

        prompt = self.prompt

        strength = self.strength

        num_inference_steps = self.num_inference_steps

        seed = self.seed

        guidance_scale = self.guidance_scale

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
                "prompt": prompt,
            }
        )
        if strength is not UNSET:
            field_dict["strength"] = strength
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
        d = dict(src_dict)
        image_url = d.pop("image_url")

        prompt = d.pop("prompt")

        strength = d.pop("strength", UNSET)

        num_inference_steps = d.pop("num_inference_steps", UNSET)

        seed = d.pop("seed", UNSET)

        guidance_scale = d.pop("guidance_scale", UNSET)

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

        flux_dev_image_to_image_input = cls(
            image_url=image_url,
            prompt=prompt,
            strength=strength,
            num_inference_steps=num_inference_steps,
            seed=seed,
            guidance_scale=guidance_scale,
            sync_mode=sync_mode,
            num_images=num_images,
            enable_safety_checker=enable_safety_checker,
            output_format=output_format,
            acceleration=acceleration,
        )

        return flux_dev_image_to_image_input
