"""Keep OpenVINO's usage telemetry from ever sending: blocked in process, declined on disk.

What we found in `openvino-telemetry` 2025.2 (read from its installed source):
- `import openvino` imports `openvino.tools.ovc`, whose `__init__` creates a `Telemetry` with
  `enable_opt_in_dialog=False, disable_in_ci=True` and sends a "general_import" event.
- With the dialog off, consent is *assumed* unless `~/intel/openvino_telemetry` holds "0":
  no file means send (it writes a client id to `~/intel/openvino_ga_cid` and a usage count to
  `~/intel/stats`, then POSTs to www.google-analytics.com from a forked process).
- The only environment switches are CI=true, TF_BUILD or JENKINS_URL (meant for CI, not for us).
- `openvino` lists the package as a requirement, but imports it inside `try/except ImportError`
  and falls back to an inert stub, so OpenVINO works without it.

So ghostwright (1) makes the package unimportable in its own process before OpenVINO is
imported, which sends OpenVINO down its stub path, and (2) writes the documented opt-out record
("0") when none exists, so the user's other OpenVINO tools (optimum-cli, ovc) stay quiet too.
`make install` also uninstalls the package.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
from pathlib import Path

log = logging.getLogger(__name__)

PACKAGE = "openvino_telemetry"


def block_in_process() -> None:
    """Make `import openvino_telemetry` raise ImportError in this process (call before openvino)."""
    module = sys.modules.get(PACKAGE)
    if module is not None:
        # Imported before us: too late to stop its import-time event; stop its later ones.
        log.warning("openvino_telemetry was imported before ghostwright could block it")
        telemetry = getattr(module, "Telemetry", None)
        instance = getattr(telemetry, "_SingletonMetaClass__single_instance", None)
        if instance is not None:
            instance.consent = False
    sys.modules[PACKAGE] = None  # type: ignore[assignment]


def consent_file(home: Path | None = None) -> Path:
    """Where openvino_telemetry reads the user's choice on Linux and macOS."""
    return (home or Path.home()) / "intel" / "openvino_telemetry"


def decline_on_disk(home: Path | None = None) -> str:
    """Record "no telemetry" where every OpenVINO tool looks, unless the user already chose.

    Never calls openvino_telemetry's own opt_out(): that sends a "declined" event first.
    """
    path = consent_file(home)
    try:
        choice = path.read_text().strip() if path.is_file() else None
    except OSError as exc:
        return f"cannot read {path}: {exc}"
    if choice == "0":
        return f"declined in {path}"
    if choice is not None:
        # The user opted in for their own tools; ghostwright's process stays blocked anyway.
        return f"{path} holds {choice!r} (opted in for other OpenVINO tools; blocked in ghostwright)"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("0")
    except OSError as exc:
        return f"cannot write {path}: {exc} (blocked in ghostwright all the same)"
    log.info("wrote the OpenVINO telemetry opt-out to %s", path)
    return f"declined in {path} (written by ghostwright)"


def status(home: Path | None = None) -> list[str]:
    """Lines for `ghostwright doctor`."""
    installed = importlib.util.find_spec("openvino") is not None and _package_installed()
    blocked = PACKAGE in sys.modules and sys.modules[PACKAGE] is None
    lines = [
        "openvino-telemetry package: " + ("installed (blocked in this process)" if installed and blocked
                                          else "installed and NOT blocked" if installed else "not installed"),
    ]
    path = consent_file(home)
    try:
        choice = path.read_text().strip() if path.is_file() else None
    except OSError:
        choice = "?"
    lines.append(f"consent file {path}: " + ("absent" if choice is None else repr(choice)))
    cid = path.parent / "openvino_ga_cid"
    if cid.is_file():
        lines.append(f"note: {cid} exists: an OpenVINO tool without the block ran here before")
    return lines


def _package_installed() -> bool:
    from importlib import metadata

    try:
        metadata.version("openvino-telemetry")
        return True
    except metadata.PackageNotFoundError:
        return False
