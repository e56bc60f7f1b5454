from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="QueueSubmitResponse")


@_attrs_define
class QueueSubmitResponse:
    """What submit answers. The URLs point at `https://queue.fal.run`; rewrite their origin to the
    gateway's. fal's documents mark the URLs optional: when one is missing, build it from the
    request id (`{base}/{owner}/{app}/requests/{request_id}`, plus `/status` or `/cancel`).

    """

    request_id: str
    """ The job's id; keep it, it is the only way back to a paid result. """
    response_url: str | Unset = UNSET
    """ URL of the result (fal's origin); may be absent. """
    status_url: str | Unset = UNSET
    """ URL of the status (fal's origin); may be absent. """
    cancel_url: str | Unset = UNSET
    """ URL to cancel the job (fal's origin); may be absent. """
    status: str | Unset = UNSET
    """ Usually `IN_QUEUE`. """
    queue_position: int | Unset = UNSET
    """ Jobs ahead of this one. """
    gateway_request_id: str | Unset = UNSET
    """ Id the platform's gateway gave the request, when sent. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        request_id = self.request_id

        response_url = self.response_url

        status_url = self.status_url

        cancel_url = self.cancel_url

        status = self.status

        queue_position = self.queue_position

        gateway_request_id = self.gateway_request_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "request_id": request_id,
            }
        )
        if response_url is not UNSET:
            field_dict["response_url"] = response_url
        if status_url is not UNSET:
            field_dict["status_url"] = status_url
        if cancel_url is not UNSET:
            field_dict["cancel_url"] = cancel_url
        if status is not UNSET:
            field_dict["status"] = status
        if queue_position is not UNSET:
            field_dict["queue_position"] = queue_position
        if gateway_request_id is not UNSET:
            field_dict["gateway_request_id"] = gateway_request_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        request_id = d.pop("request_id")

        response_url = d.pop("response_url", UNSET)

        status_url = d.pop("status_url", UNSET)

        cancel_url = d.pop("cancel_url", UNSET)

        status = d.pop("status", UNSET)

        queue_position = d.pop("queue_position", UNSET)

        gateway_request_id = d.pop("gateway_request_id", UNSET)

        queue_submit_response = cls(
            request_id=request_id,
            response_url=response_url,
            status_url=status_url,
            cancel_url=cancel_url,
            status=status,
            queue_position=queue_position,
            gateway_request_id=gateway_request_id,
        )

        queue_submit_response.additional_properties = d
        return queue_submit_response

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
