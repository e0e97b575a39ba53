"""ghostwright: a local-first code-completion language server that streams ghost text."""

__version__ = "0.1.0"

# Before anything can import openvino: its import would otherwise send a usage event.
from ghostwright.trust import no_telemetry as _telemetry  # noqa: E402

_telemetry.block_in_process()

import os as _os  # noqa: E402

# oneDNN's primitive cache grows per input shape like the CPU plugin's; it reads this variable
# when it starts, so it is set before openvino can load. A value set by the user wins.
_os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "32")
