from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="CancelResponse")


@_attrs_define
class CancelResponse:
    """Outcome of a cancel request, in one of two shapes: a `status` (fal's queue reference), or
    `success` (fal's per-endpoint documents, with status 200). One of the two is always there.

    """

    status: str | Unset = UNSET
    """ `CANCELLATION_REQUESTED`, `ALREADY_COMPLETED` (newer: `OK`, `NOT_FOUND`). """
    success: bool | Unset = UNSET
    """ Whether the cancellation was accepted (`false`: the job could not be cancelled). """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status = self.status

        success = self.success

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if status is not UNSET:
            field_dict["status"] = status
        if success is not UNSET:
            field_dict["success"] = success

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        status = d.pop("status", UNSET)

        success = d.pop("success", UNSET)

        cancel_response = cls(
            status=status,
            success=success,
        )

        cancel_response.additional_properties = d
        return cancel_response

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
