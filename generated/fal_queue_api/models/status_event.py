from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="StatusEvent")


@_attrs_define
class StatusEvent:
    """One Server-Sent Event of `stream_status`, as OpenAPI 3.2 models `text/event-stream` items: the
    event's fields, with `data` holding a `RequestStatus` as JSON text. fal sends neither `event`
    nor `id`; comments (`: ping`) are not events.

    """

    data: str
    """ The event's data, a `RequestStatus` serialized as JSON. """
    event: str | Unset = UNSET
    """ The event type; fal sends none (the default `message`). """
    id: str | Unset = UNSET
    """ The event id; fal sends none, so a stream cannot be resumed. """
    retry: int | Unset = UNSET
    """ Reconnection time in milliseconds; fal sends none. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = self.data

        event = self.event

        id = self.id

        retry = self.retry

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "data": data,
            }
        )
        if event is not UNSET:
            field_dict["event"] = event
        if id is not UNSET:
            field_dict["id"] = id
        if retry is not UNSET:
            field_dict["retry"] = retry

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        data = d.pop("data")

        event = d.pop("event", UNSET)

        id = d.pop("id", UNSET)

        retry = d.pop("retry", UNSET)

        status_event = cls(
            data=data,
            event=event,
            id=id,
            retry=retry,
        )

        status_event.additional_properties = d
        return status_event

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
