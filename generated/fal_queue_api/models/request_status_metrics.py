from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="RequestStatusMetrics")


@_attrs_define
class RequestStatusMetrics:
    """Measurements of a completed job, e.g. `inference_time` in seconds; may be missing."""

    inference_time: float | None | Unset = UNSET
    """ Seconds of inference. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        inference_time: float | None | Unset
        if isinstance(self.inference_time, Unset):
            inference_time = UNSET
        else:
            inference_time = self.inference_time

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if inference_time is not UNSET:
            field_dict["inference_time"] = inference_time

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_inference_time(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        inference_time = _parse_inference_time(d.pop("inference_time", UNSET))

        request_status_metrics = cls(
            inference_time=inference_time,
        )

        request_status_metrics.additional_properties = d
        return request_status_metrics

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
