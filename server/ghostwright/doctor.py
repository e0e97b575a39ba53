"""`ghostwright doctor`: what OpenVINO sees, which backend and model would serve, and why."""

from __future__ import annotations

import sys
from pathlib import Path

from ghostwright import __version__, config as configuration, paths
from ghostwright.trust import load_check, network, provenance, safe_formats, no_telemetry as telemetry
from ghostwright.models import store as model_store


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

    device = ""
    try:
        import openvino
        import openvino_genai

        devices = ovb.available_devices()
        print(f"openvino {openvino.__version__}, openvino-genai {openvino_genai.__version__}")
        print(f"  devices: {', '.join(devices) or 'none'}")
        device, why = ovb.resolve_device(cfg.openvino.device, devices)
        print(f"  device: {device} ({why})")
        if device == "NPU":
            print(f"  NPU compile properties: {ovb.pipeline_properties(cfg.openvino, device)}")
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
        if device and vetting.action != "deny":
            ok = _load_check(cfg, path, device) and ok
    except (safe_formats.UnsafeFormatError, BackendError) as exc:
        ok = False
        print(f"  ! {exc}")
    except Exception as exc:  # whatever a hostile file provokes is a finding, not a traceback
        ok = False
        print(f"  ! checking the model failed: {type(exc).__name__}: {exc}")
    ok = _other_backends(cfg) and ok
    from ghostwright.engine import session_stats

    last = session_stats.load()
    if last and last.get("backends"):
        for backend in last["backends"]:
            print(f"latency (last session, {last.get('savedAt', '?')}): {session_stats.summary(backend)}")
    else:
        print("latency: no server session recorded yet (see ghostwright/status while one runs)")
    from ghostwright import stats
    from ghostwright.engine import usage_stats

    print(f"feedback: {stats.summary(usage_stats.load())}" if cfg.feedback.enabled else
          "feedback: off (feedback.enabled is false)")
    print("verdict: " + ("ready" if ok else "not ready (see ! lines)"))
    return 0 if ok else 1


def _load_check(cfg: configuration.Config, path: Path, device: str) -> bool:
    """The check the server makes before it loads the model: metadata, then a trial load in a child."""
    import asyncio

    from ghostwright.backends import openvino as ovb

    device, _why = ovb.device_for(path, device, "")
    verdict = asyncio.run(load_check.check(path, device, ovb.pipeline_properties(cfg.openvino, device),
                                           cfg.openvino.load_timeout_s))
    if verdict.ok:
        print("  load check: ok" + (" (remembered for this model's hash)" if verdict.cached else
                                    " (a trial load in a separate process)"))
    else:
        print(f"  ! load check: {verdict.reason}")
    return verdict.ok


def _other_backends(cfg: configuration.Config) -> bool:
    """Ollama and an OpenAI-style server, when configured: reachable, which model, the VRAM verdict."""
    import asyncio

    from ghostwright.backends import router
    from ghostwright.backends.base import BackendError

    try:
        p = router.plan(cfg)
    except BackendError as exc:
        print(f"router: policy {cfg.router.policy}\n  ! {exc}")
        return False
    if p.npu and p.gpu:
        print(f"router: policy {p.policy}, escalating to {p.gpu}")
    else:
        print(f"router: policy {p.policy}, one backend ({p.npu or p.gpu})")
    return asyncio.run(_check(cfg)) if cfg.ollama.model or cfg.openai.base_url else True


async def _check(cfg: configuration.Config) -> bool:
    from ghostwright.backends.base import BackendError

    ok = True
    if cfg.ollama.model:
        from ghostwright.backends.ollama import OllamaBackend

        b = OllamaBackend(cfg.ollama, cfg.allow_remote)
        print(f"ollama: {b.host}")

        def vet(model: str, licence: provenance.Licence) -> None:
            nonlocal ok
            action = provenance.policy_for(licence, cfg.licence)
            why = f": {licence.why}" if licence.why and licence.why != licence.name.lower() else ""
            print(f"  licence: {licence.name} ({licence.klass}{why}), from {licence.source}")
            print(f"  licence policy: licence.{licence.klass} = {action}")
            if action == "deny":
                ok = False
                raise BackendError("the server will refuse to load this model (licence policy)")

        b.vet_licence = vet
        try:
            await b.load(lambda msg: None)  # loads the model with our options, as the server would
            print(f"  model: {b.model_name} ({b.mode} fill-in-the-middle, template {b.template.name})")
            print(f"  options: {b.fixed_options}, keep_alive {cfg.ollama.keep_alive}")
            if b.vram is None:
                print("  ! VRAM: the model is not listed by /api/ps")
            else:
                print(f"  {'VRAM' if b.vram.ok else '! VRAM'}: {b.vram.message}")
        except BackendError as exc:
            ok = False
            print(f"  ! {exc}")
        finally:
            await b.close()
    if cfg.openai.base_url:
        from ghostwright.backends.openai import OpenAIBackend

        o = OpenAIBackend(cfg.openai, cfg.allow_remote)
        print(f"openai: {o.base_url}, model {cfg.openai.model or '(not set)'}"
              + (f", key from ${cfg.openai.api_key_env}" if cfg.openai.api_key_env else ""))
        o.notify = lambda message: print(f"  ! {message}")
        try:
            await o.load(lambda msg: None)
            print("  reachable")
        except BackendError as exc:
            ok = False
            print(f"  ! {exc}")
        finally:
            await o.close()
    return ok
