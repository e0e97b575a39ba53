"""ghostwright: a local-first code-completion language server that streams ghost text."""

__version__ = "0.1.0"

# Before anything can import openvino: its import would otherwise send a usage event.
from ghostwright import telemetry as _telemetry  # noqa: E402

_telemetry.block_in_process()
