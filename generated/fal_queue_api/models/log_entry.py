from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.log_entry_labels import LogEntryLabels


T = TypeVar("T", bound="LogEntry")


@_attrs_define
class LogEntry:
    """One runner log line; treat every field as optional."""

    message: str | Unset = UNSET
    """ The log text. """
    timestamp: str | Unset = UNSET
    """ When it was logged (ISO 8601). """
    level: str | Unset = UNSET
    """ Severity, e.g. `INFO`, `ERROR`. """
    source: str | Unset = UNSET
    """ Where it came from, e.g. `USER`. """
    labels: LogEntryLabels | Unset = UNSET
    """ Free-form labels. """
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        message = self.message

        timestamp = self.timestamp

        level = self.level

        source = self.source

        labels: dict[str, Any] | Unset = UNSET
        if not isinstance(self.labels, Unset):
            labels = self.labels.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update({})
        if message is not UNSET:
            field_dict["message"] = message
        if timestamp is not UNSET:
            field_dict["timestamp"] = timestamp
        if level is not UNSET:
            field_dict["level"] = level
        if source is not UNSET:
            field_dict["source"] = source
        if labels is not UNSET:
            field_dict["labels"] = labels

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.log_entry_labels import LogEntryLabels

        d = dict(src_dict)
        message = d.pop("message", UNSET)

        timestamp = d.pop("timestamp", UNSET)

        level = d.pop("level", UNSET)

        source = d.pop("source", UNSET)

        _labels = d.pop("labels", UNSET)
        labels: LogEntryLabels | Unset
        if isinstance(_labels, Unset):
            labels = UNSET
        else:
            labels = LogEntryLabels.from_dict(_labels)

        log_entry = cls(
            message=message,
            timestamp=timestamp,
            level=level,
            source=source,
            labels=labels,
        )

        log_entry.additional_properties = d
        return log_entry

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
