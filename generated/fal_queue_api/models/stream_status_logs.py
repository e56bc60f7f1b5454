from typing import Literal

StreamStatusLogs = Literal["0", "1", "false", "true"]

STREAM_STATUS_LOGS_VALUES: set[StreamStatusLogs] = {
    "0",
    "1",
    "false",
    "true",
}


def check_stream_status_logs(value: str) -> StreamStatusLogs:
    if value in STREAM_STATUS_LOGS_VALUES:
        return value
    raise TypeError(
        f"Unexpected value {value!r}. Expected one of {STREAM_STATUS_LOGS_VALUES!r}"
    )
