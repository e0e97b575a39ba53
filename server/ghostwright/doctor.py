"""`ghostwright doctor`: what OpenVINO sees, which backend and model would serve, and why."""

from __future__ import annotations

import sys

from ghostwright import __version__, config as configuration, model_store, network, paths, provenance, safe_formats, telemetry


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
    print("network:")
    for line in network.describe(cfg):
        ok = ok and not line.startswith("!")
        print(f"  {line}")
    print("telemetry: " + telemetry.decline_on_disk())
    for line in telemetry.status():
        print(f"  {line}")

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
        vetting = provenance.vet(path, cfg.licence)
        lic = vetting.licence
        print(f"  licence: {lic.name} ({lic.klass}{': ' + lic.why if lic.why and lic.why != lic.name.lower() else ''})"
              f", from {lic.source}")
        print(f"  licence policy: licence.{lic.klass} = {vetting.action}")
        if vetting.action == "deny":
            ok = False
            print("  ! the server will refuse to load this model")
        for note in vetting.notes:
            print(f"  note: {note}")
        for line in vetting.changed:
            ok = False
            print(f"  ! {line}")
        if info.get("source"):
            print(f"  source: {info['source']}")
    except safe_formats.UnsafeFormatError as exc:
        ok = False
        print(f"  ! {exc}")
    except BackendError as exc:
        ok = False
        print(f"  ! {exc}")
    print("verdict: " + ("ready" if ok else "not ready (see ! lines)"))
    return 0 if ok else 1
