"""Load only formats that cannot run code (GGUF, OpenVINO IR, safetensors); refuse pickles by their bytes."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

from ghostwright.trust import regular_files

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt")


class UnsafeFormatError(Exception):
    """A model file is (or may be) a pickle, or is in no format ghostwright knows to be safe."""


def sniff(path: Path) -> str:
    """The format of one file judged by its first bytes: gguf, safetensors, xml, pickle,
    zip-pickle, zip, tar or unknown."""
    with regular_files.open_binary(path) as f:
        head = f.read(512)
        size = f.seek(0, 2)
        f.seek(max(size - 1, 0))
        last = f.read(1)
    if head.startswith(b"GGUF"):
        return "gguf"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "pickle"  # protocol 2+ opens with PROTO
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as zf:
                names = zf.namelist()
        except (zipfile.BadZipFile, OSError):
            return "zip"
        # torch.save since 1.6: a zip whose data.pkl is a pickle that rebuilds the tensors.
        return "zip-pickle" if any(n.endswith((".pkl", ".pickle")) for n in names) else "zip"
    if len(head) > 262 and head[257:262] == b"ustar":
        return "tar"  # torch's legacy tar format holds pickles
    if _is_safetensors(head, size):
        return "safetensors"
    stripped = head.lstrip()
    if stripped.startswith((b"<?xml", b"<net")):
        return "xml"
    # Protocol 0/1 pickles open with MARK, an empty list/dict or GLOBAL and end with STOP.
    if head[:1] in (b"(", b"]", b"}", b"c") and last == b".":
        return "pickle"
    return "unknown"


def _is_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    n = struct.unpack("<Q", head[:8])[0]
    return 2 <= n <= size - 8 and head[8:9] == b"{"


def _header_json(path: Path) -> dict:
    with regular_files.open_binary(path) as f:
        n = struct.unpack("<Q", f.read(8))[0]
        if n > 100 << 20:
            raise UnsafeFormatError(f"{path}: safetensors header of {n} bytes is implausible")
        return json.loads(f.read(n))


def _refusal(path: Path, kind: str) -> UnsafeFormatError:
    what = {"pickle": "a Python pickle", "zip-pickle": "a PyTorch checkpoint (a zip holding a pickle)",
            "tar": "a legacy PyTorch checkpoint (a tar holding pickles)"}.get(kind, kind)
    return UnsafeFormatError(
        f"{path} is {what}: loading a pickle can run any code it carries, so ghostwright refuses it. "
        "Use the model as GGUF, safetensors or an OpenVINO IR (for example "
        "`optimum-cli export openvino --model <hf-folder> --weight-format int4 <out>`)"
    )


def check_file(path: Path) -> str:
    """The safe format of a model file, or UnsafeFormatError saying why it is refused."""
    try:
        kind = sniff(path)
    except regular_files.NotRegularFileError as exc:
        raise UnsafeFormatError(str(exc)) from None
    if kind in ("pickle", "zip-pickle", "tar"):
        raise _refusal(path, kind)
    if path.suffix == ".gguf" and kind != "gguf":
        raise UnsafeFormatError(f"{path} is named .gguf but does not start with the GGUF magic ({kind})")
    if path.suffix == ".safetensors":
        if kind != "safetensors":
            raise UnsafeFormatError(f"{path} is named .safetensors but its header is not safetensors ({kind})")
        try:
            _header_json(path)
        except (ValueError, struct.error) as exc:
            raise UnsafeFormatError(f"{path}: unreadable safetensors header ({exc})") from None
        return "safetensors"
    if kind == "gguf":
        from ghostwright.trust import gguf_meta

        try:
            gguf_meta.check_layout(gguf_meta.read_header(path))
        except (gguf_meta.GGUFError, OSError) as exc:
            raise UnsafeFormatError(f"{path} is a damaged GGUF file ({exc}); OpenVINO would crash on it, "
                                    "so it is not loaded: download or convert it again") from None
        return "gguf"
    if kind == "xml" and path.suffix == ".xml":
        return "openvino-ir-xml"
    if path.suffix in PICKLE_SUFFIXES:
        raise UnsafeFormatError(
            f"{path} is not GGUF, safetensors or an OpenVINO IR ({kind} content under a "
            f"{path.suffix} name, which PyTorch uses for pickles): refusing it")
    raise UnsafeFormatError(f"{path}: unknown model format ({kind}); ghostwright loads GGUF, "
                            "OpenVINO IR and safetensors")


def check_model(path: Path) -> list[str]:
    """Check what a model path would load; returns notes about files that are present but never read.

    An OpenVINO IR's weights (`X.bin` beside `X.xml`) are raw tensors, not pickles: the XML says
    how to read them and OpenVINO never unpickles anything, so they pass without a sniff (raw
    weights may well start with the bytes of a pickle header).
    """
    if not path.is_dir():
        check_file(path)
        return []
    # OpenVINO opens files of the folder by name (config.json, the tokenizer's files): one that
    # is a FIFO or a device would block the load for ever, so the folder is refused as a whole.
    special = regular_files.special_entries(path)
    if special:
        raise UnsafeFormatError(f"{path}: {'; '.join(special)}, not a regular file: ghostwright reads only "
                                "regular files from a model folder (reading a FIFO or device can block for "
                                "ever); remove it")
    notes: list[str] = []
    xmls = sorted(path.glob("openvino_*.xml"))
    for xml in xmls:
        if sniff(xml) != "xml":
            raise UnsafeFormatError(f"{xml} is not an OpenVINO IR (not XML)")
    ir_weights = {x.with_suffix(".bin") for x in xmls}
    for f in sorted(path.iterdir()):
        if not f.is_file() or f in ir_weights:
            continue
        if f.suffix in PICKLE_SUFFIXES or f.suffix == ".safetensors":
            kind = sniff(f)
            if kind in ("pickle", "zip-pickle", "tar"):
                notes.append(f"{f.name} is a pickle ({kind}); ghostwright never reads it")
            elif f.suffix == ".safetensors":
                check_file(f)
    if not xmls and not any(path.glob("*.safetensors")) and not any(path.glob("*.gguf")):
        raise UnsafeFormatError(f"{path} holds no GGUF, safetensors or OpenVINO IR model")
    return notes
