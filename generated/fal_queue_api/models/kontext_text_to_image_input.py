from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define

from ..models.aspect_ratio import AspectRatio, check_aspect_ratio
from ..models.output_format import OutputFormat, check_output_format
from ..models.safety_tolerance import SafetyTolerance, check_safety_tolerance
from ..types import UNSET, Unset

T = TypeVar("T", bound="KontextTextToImageInput")


@_attrs_define
class KontextTextToImageInput:
    """Input of `fal-ai/flux-pro/kontext/text-to-image` and `fal-ai/flux-pro/kontext/max/text-to-image`."""

    prompt: str
    """ The prompt to generate an image from. """
    seed: int | Unset = UNSET
    """ Seed for reproducible output; random when absent. """
    guidance_scale: float | Unset = UNSET
    """ How closely to follow the prompt (CFG). Default: 3.5. """
    sync_mode: bool | Unset = UNSET
    """ Return media as data URIs instead of URLs. Default: false. """
    num_images: int | Unset = UNSET
    """ Number of images to generate. Default: 1. """
    output_format: OutputFormat | Unset = UNSET
    """ File format of the generated images. Default: `jpeg`. """
    safety_tolerance: SafetyTolerance | Unset = UNSET
    """ Kontext safety tolerance, `1` strictest to `6` most permissive. Default: `2`. """
    enhance_prompt: bool | Unset = UNSET
    """ Let the model rewrite the prompt first. Default: false. """
    aspect_ratio: AspectRatio | Unset = UNSET
    """ Aspect ratio of the generated image. """

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        seed = self.seed

        guidance_scale = self.guidance_scale

        sync_mode = self.sync_mode

        num_images = self.num_images

        output_format: str | Unset = UNSET
        if not isinstance(self.output_format, Unset):
            output_format = self.output_format

        safety_tolerance: str | Unset = UNSET
        if not isinstance(self.safety_tolerance, Unset):
            safety_tolerance = self.safety_tolerance

        enhance_prompt = self.enhance_prompt

        aspect_ratio: str | Unset = UNSET
        if not isinstance(self.aspect_ratio, Unset):
            aspect_ratio = self.aspect_ratio

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
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

        seed = d.pop("seed", UNSET)

        guidance_scale = d.pop("guidance_scale", UNSET)

        sync_mode = d.pop("sync_mode", UNSET)

        num_images = d.pop("num_images", UNSET)

        _output_format = d.pop("output_format", UNSET)
        output_format: OutputFormat | Unset
        if isinstance(_output_format, Unset):
            output_format = UNSET
        else:
            output_format = check_output_format(_output_format)

        _safety_tolerance = d.pop("safety_tolerance", UNSET)
        safety_tolerance: SafetyTolerance | Unset
        if isinstance(_safety_tolerance, Unset):
            safety_tolerance = UNSET
        else:
            safety_tolerance = check_safety_tolerance(_safety_tolerance)

        enhance_prompt = d.pop("enhance_prompt", UNSET)

        _aspect_ratio = d.pop("aspect_ratio", UNSET)
        aspect_ratio: AspectRatio | Unset
        if isinstance(_aspect_ratio, Unset):
            aspect_ratio = UNSET
        else:
            aspect_ratio = check_aspect_ratio(_aspect_ratio)

        kontext_text_to_image_input = cls(
            prompt=prompt,
            seed=seed,
            guidance_scale=guidance_scale,
            sync_mode=sync_mode,
            num_images=num_images,
            output_format=output_format,
            safety_tolerance=safety_tolerance,
            enhance_prompt=enhance_prompt,
            aspect_ratio=aspect_ratio,
        )

        return kontext_text_to_image_input
