"""Contains all the data models used in inputs/outputs"""

from .acceleration import Acceleration
from .aspect_ratio import AspectRatio
from .cancel_response import CancelResponse
from .error import Error
from .file import File
from .file_image import FileImage
from .flux_dev_image_to_image_input import FluxDevImageToImageInput
from .flux_dev_redux_input import FluxDevReduxInput
from .flux_dev_text_to_image_input import FluxDevTextToImageInput
from .flux_schnell_redux_input import FluxSchnellReduxInput
from .flux_schnell_text_to_image_input import FluxSchnellTextToImageInput
from .generic_output import GenericOutput
from .get_status_logs import GetStatusLogs
from .image import Image
from .image_output import ImageOutput
from .image_output_timings import ImageOutputTimings
from .image_size import ImageSize
from .image_size_preset import ImageSizePreset
from .kontext_edit_input import KontextEditInput
from .kontext_edit_output import KontextEditOutput
from .kontext_edit_output_timings import KontextEditOutputTimings
from .kontext_multi_input import KontextMultiInput
from .kontext_text_to_image_input import KontextTextToImageInput
from .log_entry import LogEntry
from .log_entry_labels import LogEntryLabels
from .output_format import OutputFormat
from .queue_priority import QueuePriority
from .queue_submit_response import QueueSubmitResponse
from .request_status import RequestStatus
from .request_status_metrics import RequestStatusMetrics
from .safety_tolerance import SafetyTolerance
from .status_event import StatusEvent
from .stream_status_logs import StreamStatusLogs
from .submit_flux_dev_image_to_image_x_fal_store_io import (
    SubmitFluxDevImageToImageXFalStoreIO,
)
from .submit_flux_dev_redux_x_fal_store_io import SubmitFluxDevReduxXFalStoreIO
from .submit_flux_dev_x_fal_store_io import SubmitFluxDevXFalStoreIO
from .submit_flux_schnell_redux_x_fal_store_io import SubmitFluxSchnellReduxXFalStoreIO
from .submit_flux_schnell_x_fal_store_io import SubmitFluxSchnellXFalStoreIO
from .submit_kontext_max_multi_x_fal_store_io import SubmitKontextMaxMultiXFalStoreIO
from .submit_kontext_max_text_to_image_x_fal_store_io import (
    SubmitKontextMaxTextToImageXFalStoreIO,
)
from .submit_kontext_max_x_fal_store_io import SubmitKontextMaxXFalStoreIO
from .submit_kontext_multi_x_fal_store_io import SubmitKontextMultiXFalStoreIO
from .submit_kontext_text_to_image_x_fal_store_io import (
    SubmitKontextTextToImageXFalStoreIO,
)
from .submit_kontext_x_fal_store_io import SubmitKontextXFalStoreIO
from .validation_error_item import ValidationErrorItem
from .validation_error_item_ctx import ValidationErrorItemCtx
from .video_output import VideoOutput
from .webhook_payload import WebhookPayload
from .webhook_payload_payload_type_0 import WebhookPayloadPayloadType0
from .webhook_payload_status import WebhookPayloadStatus

__all__ = (
    "Acceleration",
    "AspectRatio",
    "CancelResponse",
    "Error",
    "File",
    "FileImage",
    "FluxDevImageToImageInput",
    "FluxDevReduxInput",
    "FluxDevTextToImageInput",
    "FluxSchnellReduxInput",
    "FluxSchnellTextToImageInput",
    "GenericOutput",
    "GetStatusLogs",
    "Image",
    "ImageOutput",
    "ImageOutputTimings",
    "ImageSize",
    "ImageSizePreset",
    "KontextEditInput",
    "KontextEditOutput",
    "KontextEditOutputTimings",
    "KontextMultiInput",
    "KontextTextToImageInput",
    "LogEntry",
    "LogEntryLabels",
    "OutputFormat",
    "QueuePriority",
    "QueueSubmitResponse",
    "RequestStatus",
    "RequestStatusMetrics",
    "SafetyTolerance",
    "StatusEvent",
    "StreamStatusLogs",
    "SubmitFluxDevImageToImageXFalStoreIO",
    "SubmitFluxDevReduxXFalStoreIO",
    "SubmitFluxDevXFalStoreIO",
    "SubmitFluxSchnellReduxXFalStoreIO",
    "SubmitFluxSchnellXFalStoreIO",
    "SubmitKontextMaxMultiXFalStoreIO",
    "SubmitKontextMaxTextToImageXFalStoreIO",
    "SubmitKontextMaxXFalStoreIO",
    "SubmitKontextMultiXFalStoreIO",
    "SubmitKontextTextToImageXFalStoreIO",
    "SubmitKontextXFalStoreIO",
    "ValidationErrorItem",
    "ValidationErrorItemCtx",
    "VideoOutput",
    "WebhookPayload",
    "WebhookPayloadPayloadType0",
    "WebhookPayloadStatus",
)
