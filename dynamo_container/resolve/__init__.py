"""The resolve layer: every setting validated once, turned into typed requests for the planners.

    settings -> config -> resolve -> plan -> execute -> report

Nothing below this layer reads the configuration: planners take a `BuildRequest`, `RunRequest` or
`WheelRequest`. Refusals are one line naming the value, where it came from and what to type instead.
"""

from .build import BuildRequest, Cache, Features, Host, Images, resolve_build
from .efa import EfaRequest, resolve_efa
from .matrix import MatrixRequest, combinations, is_matrix, resolve_matrix
from .run import RunRequest, default_image, resolve_run
from .trtllm import TrtllmIntent, WheelRequest, wheel_request

__all__ = [
    "BuildRequest",
    "Cache",
    "EfaRequest",
    "Features",
    "Host",
    "Images",
    "MatrixRequest",
    "RunRequest",
    "TrtllmIntent",
    "WheelRequest",
    "combinations",
    "default_image",
    "is_matrix",
    "resolve_build",
    "resolve_efa",
    "resolve_matrix",
    "resolve_run",
    "wheel_request",
]
