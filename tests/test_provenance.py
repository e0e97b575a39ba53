"""Licence and provenance, safe formats only: what the user is told before a model runs, and what is refused."""

from __future__ import annotations

import json
import pickle
import struct
import zipfile
from pathlib import Path

import numpy as np
import pytest
from lsprotocol import types as lsp

from conftest import FAST, requires_model, session
from ghostwright.models import store as model_store
from ghostwright.trust import provenance, safe_formats
from ghostwright.config import LicenceConfig

EMBEDDED = model_store.default_model_path()


@pytest.mark.parametrize("text, klass", [
    ("apache-2.0", "permissive"), ("MIT", "permissive"), ("bsd-3-clause", "permissive"),
    ("deepseek", "restricted"), ("DEEPSEEK LICENSE AGREEMENT\nVersion 1.0", "restricted"),
    ("llama3.2", "restricted"), ("llama2", "restricted"), ("LLAMA 3.1 COMMUNITY LICENSE AGREEMENT", "restricted"),
    ("gemma", "restricted"), ("bigscience-openrail-m", "restricted"), ("creativeml-openrail-m", "restricted"),
    ("qwen-research", "restricted"), ("cc-by-nc-4.0", "restricted"),
    ("other", "unknown"), ("", "unknown"), ("Some Company Model Licence v2", "unknown"),
    ("                                 Apache License\n                           Version 2.0, January 2004",
     "permissive"),
    ("Permission is hereby granted, free of charge, to any person obtaining a copy", "permissive"),
])
def test_licences_are_classified(text, klass):
    assert provenance.classify(text)[0] == klass


@requires_model
def test_the_embedded_gguf_carries_apache_2_in_its_metadata():
    gguf_file = EMBEDDED / "model-q8_0.gguf"
    lic = provenance.read_licence(gguf_file)
    assert (lic.name, lic.klass) == ("apache-2.0", "permissive")
    assert "GGUF metadata" in lic.source


def _tiny_gguf(path: Path, licence: str | None) -> Path:
    import gguf

    writer = gguf.GGUFWriter(str(path), arch="llama")
    if licence:
        writer.add_string("general.license", licence)
    writer.add_tensor("t", np.zeros(4, dtype=np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path


def test_a_gguf_licence_key_is_read_and_classified(tmp_path):
    lic = provenance.read_licence(_tiny_gguf(tmp_path / "m.gguf", "llama3.2"))
    assert lic.klass == "restricted" and "Llama" in lic.why
    assert provenance.read_licence(_tiny_gguf(tmp_path / "n.gguf", None)).klass == "unknown"


@pytest.mark.parametrize("files, klass, source", [
    ({"README.md": "---\nlicense: other\nlicense_name: deepseek\n---\n# model"}, "restricted", "README.md"),
    ({"README.md": "---\nlanguage: en\nlicense: apache-2.0\n---\n"}, "permissive", "README.md"),
    ({"config.json": json.dumps({"license": "gemma"})}, "restricted", "config.json"),
    ({"LICENSE": "MIT License\n\nPermission is hereby granted, free of charge, to any person"}, "permissive",
     "LICENSE"),
    ({"ghostwright-model.json": json.dumps({"license": "llama3.1"}), "LICENSE": "MIT"}, "restricted",
     "ghostwright-model.json"),
    ({}, "unknown", ""),
])
def test_an_ir_folder_licence_is_read_from_its_files(tmp_path, files, klass, source):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    lic = provenance.read_licence(tmp_path)
    assert lic.klass == klass and source in lic.source


def test_policy_defaults_allow_permissive_and_warn_otherwise():
    policy = LicenceConfig()
    assert (policy.permissive, policy.restricted, policy.unknown) == ("allow", "warn", "warn")


# --- safe formats, judged by bytes ---

def _zip_pickle(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as zf:  # the layout torch.save writes since 1.6
        zf.writestr("archive/data.pkl", pickle.dumps({"w": [1, 2]}, protocol=2))
        zf.writestr("archive/data/0", b"\0" * 16)
    return path


def _safetensors(path: Path) -> Path:
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}).encode()
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 8)
    return path


@pytest.mark.parametrize("name, make", [
    ("pytorch_model.bin", lambda p: p.write_bytes(pickle.dumps({"a": 1}, protocol=4))),
    ("model.pt", lambda p: p.write_bytes(pickle.dumps([1, 2], protocol=5))),
    ("model.pkl", lambda p: p.write_bytes(pickle.dumps({"a": 1}, protocol=0))),
    ("model.ckpt", _zip_pickle),
    ("model.pth", _zip_pickle),
    ("innocent.gguf", lambda p: p.write_bytes(pickle.dumps({"a": 1}, protocol=2))),
    ("innocent.safetensors", _zip_pickle),
])
def test_pickles_are_refused_by_their_bytes_whatever_their_name(tmp_path, name, make):
    path = tmp_path / name
    make(path)
    with pytest.raises(safe_formats.UnsafeFormatError, match="pickle|GGUF magic|not safetensors"):
        safe_formats.check_file(path)


def test_safe_formats_pass(tmp_path):
    assert safe_formats.check_file(_safetensors(tmp_path / "m.safetensors")) == "safetensors"
    assert safe_formats.check_file(_tiny_gguf(tmp_path / "m.gguf", "mit")) == "gguf"


@requires_model
def test_an_openvino_ir_weights_bin_is_not_mistaken_for_a_pickle():
    assert safe_formats.check_model(EMBEDDED) == []
    assert safe_formats.sniff(EMBEDDED / "openvino_model.bin") not in ("pickle", "zip-pickle")


def test_a_stray_pickle_beside_an_ir_is_named_but_never_read(tmp_path):
    (tmp_path / "openvino_model.xml").write_text('<?xml version="1.0"?>\n<net name="m"></net>\n')
    (tmp_path / "openvino_model.bin").write_bytes(b"\x80\x04" + b"\0" * 64)  # raw weights can start like this
    (tmp_path / "pytorch_model.bin").write_bytes(pickle.dumps({"a": 1}, protocol=4))
    notes = safe_formats.check_model(tmp_path)
    assert notes == ["pytorch_model.bin is a pickle (pickle); ghostwright never reads it"]


# --- the real server: told once at start-up, refused cleanly, still serving ---

def _ir_copy(tmp_path: Path, readme: str) -> Path:
    """The embedded IR under a new folder: big weights linked, small XML files copied (editable)."""
    folder = tmp_path / "qwen2.5-coder-0.5b-copy"
    folder.mkdir()
    for f in EMBEDDED.glob("openvino_*"):
        if f.suffix == ".xml":
            (folder / f.name).write_bytes(f.read_bytes())
        else:
            (folder / f.name).symlink_to(f)
    (folder / "README.md").write_text(readme)
    return folder


def _messages(s) -> list[tuple[int, str]]:
    return [(m.type, m.message) for m in s.client.messages]


@requires_model
async def test_a_restricted_licence_and_a_changed_file_are_told_once_at_start_up(tmp_path, monkeypatch):
    folder = _ir_copy(tmp_path, "---\nlicense: llama3.2\n---\n")
    data = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    model_store.record_in_manifest(folder)
    with (folder / "openvino_detokenizer.xml").open("a") as f:
        f.write("<!-- edited after it was recorded -->\n")
    env = {"XDG_DATA_HOME": str(data), "XDG_CONFIG_HOME": str(tmp_path)}
    async with session({**FAST, "openvino": {"model": str(folder)}}, env=env) as s:
        status = await s.wait_ready()
        assert status["backendReady"], status["backendError"]
        msgs = _messages(s)
        licence = [m for t, m in msgs if "licence llama3.2" in m]
        assert len(licence) == 1 and "restricted" in licence[0] and "Llama Community" in licence[0]
        changed = [m for t, m in msgs if "changed since it was recorded" in m]
        assert len(changed) == 1 and "openvino_detokenizer.xml" in changed[0]
        assert status["provenance"]["licence"]["kind"] == "restricted"
        assert status["provenance"]["action"] == "warn"


@requires_model
async def test_a_denied_licence_is_not_loaded_and_the_server_answers_empty(tmp_path):
    folder = _ir_copy(tmp_path, "---\nlicense: other\nlicense_name: deepseek\n---\n")
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path)}
    options = {**FAST, "openvino": {"model": str(folder)}, "licence": {"restricted": "deny"}}
    async with session(options, env=env) as s:
        status = await s.wait_ready()
        assert "licence.restricted = deny" in status["backendError"]
        assert "DeepSeek" in status["backendError"]
        errors = [m for t, m in _messages(s) if t == lsp.MessageType.Error]
        assert len(errors) == 1
        uri = "file:///tmp/a.py"
        s.open(uri, "def add(a, b):\n    return ")
        result = await s.complete_async(uri, 1, 11)
        assert not result.items
        assert (await s.status())["documents"] == 1


async def test_a_pickle_model_is_refused_with_a_clear_message_and_the_server_goes_on(tmp_path):
    model = tmp_path / "pytorch_model.bin"
    model.write_bytes(pickle.dumps({"weights": [0.0] * 8}, protocol=4))
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path)}
    async with session({**FAST, "openvino": {"model": str(model)}}, env=env) as s:
        status = await s.wait_ready()
        assert "pickle" in status["backendError"] and "refuses" in status["backendError"]
        errors = [m for t, m in _messages(s) if t == lsp.MessageType.Error]
        assert len(errors) == 1 and "pytorch_model.bin" in errors[0]
        uri = "file:///tmp/a.py"
        s.open(uri, "x = ")
        assert not (await s.complete_async(uri, 0, 4)).items
