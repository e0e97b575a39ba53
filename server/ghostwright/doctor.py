"""`ghostwright doctor`: what OpenVINO sees, which backend and model would serve, and why."""

from __future__ import annotations

import sys

from ghostwright import __version__, config as configuration, model_store, paths


def run() -> int:
    ok = True
    print(f"ghostwright {__version__} (Python {sys.version.split()[0]})")
    cfg, _toml, problems = configuration.load()
    where = paths.config_file()
    print(f"config: {where}" + ("" if where.is_file() else " (absent: defaults)"))
    for problem in problems:
        ok = False
        print(f"  ! {problem}")
    print(f"backend: {cfg.backend}")

    from ghostwright.backends.base import BackendError
    from ghostwright.backends import openvino as ovb

    try:
        import openvino
        import openvino_genai

        devices = ovb.available_devices()
        print(f"openvino {openvino.__version__}, openvino-genai {openvino_genai.__version__}")
        print(f"  devices: {', '.join(devices) or 'none'}")
        device, why = ovb.resolve_device(cfg.openvino.device, devices)
        print(f"  device: {device} ({why})")
    except BackendError as exc:
        ok = False
        print(f"  ! {exc}")
    except ImportError as exc:
        ok = False
        print(f"  ! openvino is not importable: {exc}")
    try:
        path = ovb.resolve_model(cfg.openvino.model)
        name, template = ovb.model_identity(path)
        info = model_store.read_model_info(path if path.is_dir() else path.parent)
        print(f"  model: {name} at {path}")
        print(f"  prompt template: {template.name}" + ("" if template.has_fim else " (no fill-in-the-middle)"))
        print(f"  licence: {info.get('license', 'unknown')}")
        if info.get("source"):
            print(f"  source: {info['source']}")
    except BackendError as exc:
        ok = False
        print(f"  ! {exc}")
    from ghostwright import session_stats

    last = session_stats.load()
    if last and last.get("backends"):
        for backend in last["backends"]:
            print(f"latency (last session, {last.get('savedAt', '?')}): {session_stats.summary(backend)}")
    else:
        print("latency: no server session recorded yet (see ghostwright/status while one runs)")
    print("verdict: " + ("ready" if ok else "not ready (see ! lines)"))
    return 0 if ok else 1
