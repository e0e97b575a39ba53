"""Whether OpenVINO can load a model, known before the server loads it: metadata checks, then one
trial load in a child process per model hash, so a native crash is a refusal, not the server's death."""

from __future__ import annotations

import asyncio
import hashlib
import json
import signal
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ghostwright.trust import gguf_meta, regular_files
from ghostwright import json_files, paths
from ghostwright.models import store as model_store

CACHE_FILE = "load-checks.json"
_PROBE_PROMPT = "def"


@dataclass
class Verdict:
    ok: bool
    reason: str
    cached: bool = False
    keep: bool = True  # a verdict worth remembering for this hash (not a timeout, not an OOM kill)


def check_metadata(path: Path) -> None:
    """GGUFError naming the key unless a .gguf file's numbers can size OpenVINO's graph (IR folders pass)."""
    if path.suffix == ".gguf" and not path.is_dir():
        gguf_meta.check_model(gguf_meta.read_header(path))


def fingerprint(path: Path, device: str, props: dict[str, Any]) -> str:
    """What a verdict holds for: the model's bytes (by hash), the runtime's version, device and settings."""
    import openvino_genai

    files = model_store.current_hashes(path)
    if not path.is_dir():  # a file's name does not change what loads
        files = {"model": files[path.name]}
    else:  # OpenVINO GenAI reads the folder's JSON files (configs, tokenizer settings) too
        for f in sorted(path.glob("*.json")):
            files[f.name] = hashlib.sha256(regular_files.read_bytes(f)).hexdigest()
    key = {"files": files, "openvino_genai": openvino_genai.__version__, "device": device,
           "props": {k: str(v) for k, v in props.items()}}
    return hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()


def _cache_path() -> Path:
    return paths.cache_dir() / CACHE_FILE


def _load_cache() -> dict[str, dict]:
    try:
        data = json.loads(regular_files.read_text(_cache_path(), 16 << 20))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _remember(key: str, verdict: Verdict, path: Path) -> None:
    cache = _load_cache()
    cache[key] = {"ok": verdict.ok, "reason": verdict.reason, "model": str(path), "checked": time.time()}
    try:
        json_files.write(_cache_path(), cache)
    except OSError:
        pass  # no cache: the next start checks again


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


async def trial_load(path: Path, device: str, props: dict[str, Any], timeout_s: float) -> Verdict:
    """Load `path` and generate one token in a child process; its death or silence is the verdict."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ghostwright.trust.load_check", str(path), device, json.dumps(props),
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    try:
        _out, err = await asyncio.wait_for(proc.communicate(), timeout_s)
    except asyncio.TimeoutError:
        return Verdict(False, f"loading {path} did not finish within {timeout_s:g} s (openvino.loadTimeoutS): "
                       "not loaded", keep=False)
    finally:
        if proc.returncode is None:  # timed out, or the load was cancelled (a reload)
            proc.kill()
            await proc.wait()
    if proc.returncode == 0:
        return Verdict(True, f"a trial load of {path} on {device} in a separate process succeeded")
    lines = [line for line in err.decode("utf-8", "replace").splitlines() if line.strip()]
    if proc.returncode < 0:
        name = _signal_name(-proc.returncode)
        return Verdict(False, f"OpenVINO crashed ({name}) loading {path} in a trial process: the file is "
                       "malformed in a way the format checks do not catch, so it is not loaded",
                       keep=-proc.returncode not in (signal.SIGKILL, signal.SIGTERM, signal.SIGINT))
    why = lines[-1] if lines else f"exit status {proc.returncode}"
    return Verdict(False, f"OpenVINO could not load {path} on {device}: {why[:400]}")


async def check(path: Path, device: str, props: dict[str, Any], timeout_s: float) -> Verdict:
    """The verdict on loading `path`: metadata first, then the cached or a new trial load."""
    try:
        await asyncio.to_thread(check_metadata, path)
    except (gguf_meta.GGUFError, OSError) as exc:
        return Verdict(False, f"{path} cannot be loaded: {exc}. OpenVINO could crash on it, so it is not "
                       "loaded: download or convert it again")
    try:
        key = await asyncio.to_thread(fingerprint, path, device, props)
    except OSError as exc:
        return Verdict(False, f"{path} cannot be read: {exc}", keep=False)
    found = _load_cache().get(key)
    if isinstance(found, dict) and isinstance(found.get("ok"), bool):
        return Verdict(found["ok"], str(found.get("reason", "")), cached=True)
    verdict = await trial_load(path, device, props, timeout_s)
    if verdict.keep:
        _remember(key, verdict, path)
    return verdict


def _child(argv: list[str]) -> int:
    path, device, props = argv[0], argv[1], json.loads(argv[2])
    try:
        import openvino_genai

        pipeline = openvino_genai.LLMPipeline(path, device, **props)
        config = openvino_genai.GenerationConfig()
        config.max_new_tokens = 1
        config.apply_chat_template = False
        pipeline.generate(_PROBE_PROMPT, config)  # one token runs every layer once
    except Exception as exc:  # the parent reports the last line
        print(f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1:]))
