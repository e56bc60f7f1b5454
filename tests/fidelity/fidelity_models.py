"""The models the fidelity tests run through fal's official clients, with valid inputs for each."""

from __future__ import annotations

from typing import Any

IMAGE = "https://example.com/cat.png"
EXTRA_MODEL = "acme/brand-new-model"
"""A model id the spec does not declare, served through ``MockConfig.extra_models``."""

INPUTS: dict[str, dict[str, Any]] = {
    "fal-ai/flux-1/dev": {"prompt": "a red fox", "num_images": 2, "seed": 7},
    "fal-ai/flux-1/dev/image-to-image": {"prompt": "a red fox", "image_url": IMAGE},
    "fal-ai/flux-1/dev/redux": {"image_url": IMAGE},
    "fal-ai/flux-1/schnell": {"prompt": "a red fox", "image_size": "square"},
    "fal-ai/flux-1/schnell/redux": {"image_url": IMAGE},
    "fal-ai/flux-pro/kontext": {"prompt": "make it blue", "image_url": IMAGE},
    "fal-ai/flux-pro/kontext/max": {"prompt": "make it blue", "image_url": IMAGE},
    "fal-ai/flux-pro/kontext/multi": {"prompt": "merge them", "image_urls": [IMAGE, IMAGE]},
    "fal-ai/flux-pro/kontext/max/multi": {"prompt": "merge them", "image_urls": [IMAGE]},
    "fal-ai/flux-pro/kontext/text-to-image": {"prompt": "a red fox", "aspect_ratio": "16:9"},
    "fal-ai/flux-pro/kontext/max/text-to-image": {"prompt": "a red fox"},
    EXTRA_MODEL: {"prompt": "anything", "free_form": {"deep": [1, 2]}},
}
"""Eleven typed models (every submit path of openapi.yaml) and one the spec does not know."""
