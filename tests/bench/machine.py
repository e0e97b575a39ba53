"""A one-line description of the machine a benchmark ran on."""

from __future__ import annotations

import os
import platform


def describe() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in open("/proc/cpuinfo", encoding="utf-8"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        import openvino

        ov = f", OpenVINO {openvino.__version__.split('-')[0]}"
    except Exception:
        ov = ""
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}{ov}"
