"""Hostile model files: whatever their numbers claim, the worst they do is a clear refusal.

A GGUF whose metadata lies (a head count of 0, an embedding length of 1, a mistyped alignment)
used to pass the layout check and then kill the process inside OpenVINO (SIGFPE); a FIFO in a
model folder used to hang the load for ever. Each case is refused by the server (one message,
still serving), by `ghostwright complete` (exit status 1 and one line, not a signal) and by
`ghostwright doctor` (not ready, no traceback).
"""

from __future__ import annotations

import asyncio
import os
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import FAST, requires_model, session
from test_faults import CODE, _errors, _still_serving
from ghostwright.trust import gguf_meta, load_check, provenance, regular_files, safe_formats
from ghostwright.models import store as model_store

EMBEDDED = model_store.default_model_path()
ARCH = "qwen2"


def tiny_model(path: Path, tokens: list[str] | None = None, meta: dict | None = None,
               typed: dict | None = None, shapes: dict | None = None) -> Path:
    """A one-block qwen2 GGUF with random F16 weights: loadable by OpenVINO with the real tokenizer.

    `meta` overrides the architecture's integer keys; `typed` writes keys with a chosen GGUF type
    ({key: (value, GGUFValueType)}); `shapes` overrides a tensor's numpy shape.
    """
    import gguf

    tok = _tokenizer() if tokens is None else {"tokenizer.ggml.tokens": tokens,
                                               "tokenizer.ggml.token_type": [1] * len(tokens)}
    vocab = len(tok["tokenizer.ggml.tokens"])
    emb, heads, kv_heads, ff = 64, 4, 2, 128
    head_dim = emb // heads
    numbers = {"block_count": 1, "context_length": 4096, "embedding_length": emb, "feed_forward_length": ff,
               "attention.head_count": heads, "attention.head_count_kv": kv_heads, **(meta or {})}
    typed = dict(typed or {})
    w = gguf.GGUFWriter(str(path), arch=ARCH)
    for key, value in numbers.items():
        if f"{ARCH}.{key}" not in typed:
            w.add_uint32(f"{ARCH}.{key}", value)
    if f"{ARCH}.attention.layer_norm_rms_epsilon" not in typed:
        w.add_float32(f"{ARCH}.attention.layer_norm_rms_epsilon", 1e-6)
    w.add_float32(f"{ARCH}.rope.freq_base", 1e6)
    w.add_uint32("general.file_type", 1)
    w.add_string("general.license", "apache-2.0")
    w.add_string("general.name", "tiny qwen2")
    w.add_string("tokenizer.ggml.model", "gpt2")
    w.add_string("tokenizer.ggml.pre", "qwen2")
    for key, value in tok.items():
        if isinstance(value, list):
            w.add_array(key, value)
        elif isinstance(value, bool):
            w.add_bool(key, value)
        elif isinstance(value, int) and key not in typed:
            w.add_uint32(key, min(value, vocab - 1))
    for key, (value, kind) in typed.items():
        w.add_key_value(key, value, kind)
    rng = np.random.default_rng(0)
    shapes = shapes or {}

    def weight(name: str, *shape: int) -> None:
        shape = shapes.get(name, shape)
        w.add_tensor(name, (rng.standard_normal(shape) * 0.02).astype(np.float16))

    def ones(name: str, size: int) -> None:
        w.add_tensor(name, np.ones(shapes.get(name, (size,)), dtype=np.float32))

    weight("token_embd.weight", vocab, emb)
    ones("output_norm.weight", emb)
    p = "blk.0."
    ones(p + "attn_norm.weight", emb)
    weight(p + "attn_q.weight", heads * head_dim, emb)
    ones(p + "attn_q.bias", heads * head_dim)
    for x in ("k", "v"):
        weight(p + f"attn_{x}.weight", kv_heads * head_dim, emb)
        ones(p + f"attn_{x}.bias", kv_heads * head_dim)
    weight(p + "attn_output.weight", emb, heads * head_dim)
    ones(p + "ffn_norm.weight", emb)
    weight(p + "ffn_gate.weight", ff, emb)
    weight(p + "ffn_up.weight", ff, emb)
    weight(p + "ffn_down.weight", emb, ff)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


_TOKENIZER: dict = {}


def _tokenizer() -> dict:
    """The embedded model's tokenizer keys (151,936 tokens), read once."""
    if not _TOKENIZER:
        if not model_store.is_installed():
            pytest.fail("the embedded model is not installed: run `make install` (make test does)")
        _TOKENIZER.update(gguf_meta.read_metadata(EMBEDDED / "model-q8_0.gguf", "tokenizer.ggml."))
    return _TOKENIZER


SMALL_VOCAB = [f"t{i}" for i in range(300)]


def _small(path: Path, **kwargs) -> Path:
    return tiny_model(path, tokens=SMALL_VOCAB, **kwargs)


# --- the checks themselves: each lie is refused by the name of its key ---

def _types():
    import gguf

    return gguf.GGUFValueType


HOSTILE = {
    "head_count 0": (dict(meta={"attention.head_count": 0}), "qwen2.attention.head_count = 0"),
    "embedding_length 1": (dict(meta={"embedding_length": 1}), "qwen2.embedding_length"),
    "head_count_kv 0": (dict(meta={"attention.head_count_kv": 0}), "qwen2.attention.head_count_kv = 0"),
    "head_count_kv 3": (dict(meta={"attention.head_count_kv": 3}), "head_count_kv 3"),
    "head_count 8": (dict(meta={"attention.head_count": 8}), "blk.0.attn_k.weight"),
    "context_length 0": (dict(meta={"context_length": 0}), "qwen2.context_length = 0"),
    "context_length 2**31": (dict(meta={"context_length": 2**31}), "qwen2.context_length"),
    "block_count 0": (dict(meta={"block_count": 0}), "qwen2.block_count = 0"),
    "block_count 2": (dict(meta={"block_count": 2}), "blk.1."),
    "alignment as a string": (dict(typed={"general.alignment": ("32 bytes", "STRING")}), "general.alignment is stored as string"),
    "alignment 0": (dict(typed={"general.alignment": (0, "UINT32")}), "general.alignment = 0"),
    "head_count as uint8": (dict(typed={"qwen2.attention.head_count": (4, "UINT8")}), "stored as uint8"),
    "rms epsilon as float64": (dict(typed={"qwen2.attention.layer_norm_rms_epsilon": (1e-6, "FLOAT64")}),
                               "layer_norm_rms_epsilon is stored as float64"),
    "eos beyond the vocabulary": (dict(typed={"tokenizer.ggml.eos_token_id": (300, "UINT32")}), "eos_token_id = 300"),
    "vocabulary shorter than the embedding": (dict(shapes={"token_embd.weight": (301, 64)}), "token_embd.weight"),
}


def _lie(case: str) -> dict:
    """The tiny_model arguments of a HOSTILE case, GGUF value types resolved."""
    kwargs = dict(HOSTILE[case][0])
    if "typed" in kwargs:
        kwargs["typed"] = {k: (v, getattr(_types(), t)) for k, (v, t) in kwargs["typed"].items()}
    return kwargs


def _hostile(path: Path, case: str) -> Path:
    return _small(path, **_lie(case))


def test_the_tiny_model_passes_every_check(tmp_path):
    header = gguf_meta.validate(_small(tmp_path / "ok.gguf"))
    assert len(header.tensors) == 14


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_lying_gguf_is_refused_naming_its_key(tmp_path, case):
    path = _hostile(tmp_path / "hostile.gguf", case)
    with pytest.raises(gguf_meta.GGUFError) as refused:
        gguf_meta.validate(path)
    assert HOSTILE[case][1] in str(refused.value)


def test_a_head_size_of_its_own_is_accepted_when_the_tensors_agree(tmp_path):
    # attention.key_length (as Qwen3 has): heads of 32 values, not embedding / heads = 16.
    p = "blk.0."
    shapes = {p + "attn_q.weight": (128, 64), p + "attn_q.bias": (128,), p + "attn_k.weight": (64, 64),
              p + "attn_k.bias": (64,), p + "attn_v.weight": (64, 64), p + "attn_v.bias": (64,),
              p + "attn_output.weight": (64, 128)}
    gguf_meta.validate(_small(tmp_path / "ok.gguf", meta={"attention.key_length": 32}, shapes=shapes))
    with pytest.raises(gguf_meta.GGUFError, match="blk.0.attn_q.weight"):
        gguf_meta.validate(_small(tmp_path / "lie.gguf", meta={"attention.key_length": 32}))


def _patch_offset(path: Path, tensor: str, offset: int) -> None:
    data = bytearray(path.read_bytes())
    name = tensor.encode()
    at = data.index(struct.pack("<Q", len(name)) + name) + 8 + len(name)
    dims = struct.unpack_from("<I", data, at)[0]
    struct.pack_into("<Q", data, at + 4 + 8 * dims + 4, offset)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("offset, reason", [(0, "overlaps"), (1, "not a multiple of general.alignment")])
def test_tensors_that_overlap_or_are_misaligned_are_refused(tmp_path, offset, reason):
    path = _small(tmp_path / "m.gguf")
    _patch_offset(path, "blk.0.ffn_down.weight", offset)
    with pytest.raises(gguf_meta.GGUFError, match=reason):
        gguf_meta.validate(path)
    with pytest.raises(safe_formats.UnsafeFormatError, match="damaged GGUF"):
        safe_formats.check_file(path)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_garbled_headers_are_refused_with_a_gguf_error_and_nothing_else(tmp_path, data):
    good = tmp_path / "good.gguf"
    if not good.exists():
        _small(good)
    raw = bytearray(good.read_bytes())
    header_end = gguf_meta.read_header(good).data_start
    for _ in range(data.draw(st.integers(1, 8))):
        at = data.draw(st.integers(4, header_end - 1))
        raw[at] = data.draw(st.integers(0, 255))
    bad = tmp_path / "bad.gguf"
    bad.write_bytes(bytes(raw))
    try:
        gguf_meta.validate(bad)
    except gguf_meta.GGUFError:
        pass


# --- the trial load in a child process: a native crash there is a verdict ---

@requires_model
async def test_a_crash_inside_openvino_is_a_verdict_not_a_death(tmp_path):
    # Loaded past the metadata check on purpose: this is what OpenVINO does with a head count of 0.
    path = tiny_model(tmp_path / "h0.gguf", meta={"attention.head_count": 0})
    verdict = await load_check.trial_load(path, "CPU", {}, timeout_s=300)
    assert not verdict.ok and "crashed (SIGFPE)" in verdict.reason
    assert verdict.keep


@requires_model
async def test_a_good_model_is_tried_once_per_hash_and_a_slow_load_times_out(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    path = tiny_model(tmp_path / "ok.gguf")
    slow = await load_check.check(path, "CPU", {}, timeout_s=0.2)
    assert not slow.ok and "did not finish within 0.2 s" in slow.reason
    first = await load_check.check(path, "CPU", {}, timeout_s=300)
    assert first.ok and not first.cached, first.reason
    again = await load_check.check(path, "CPU", {}, timeout_s=0.2)
    assert again.ok and again.cached
    copy = tmp_path / "copy.gguf"  # the same bytes under another name: the same verdict
    copy.write_bytes(path.read_bytes())
    assert (await load_check.check(copy, "CPU", {}, timeout_s=0.2)).cached


# --- the three ways a user meets a hostile file ---

E2E = ["head_count 0", "embedding_length 1", "alignment as a string"]


def _e2e_model(tmp_path: Path, case: str) -> Path:
    return tiny_model(tmp_path / "tiny-qwen2.gguf", **_lie(case))


def _env(tmp_path: Path, model: Path) -> dict[str, str]:
    (tmp_path / "ghostwright").mkdir(exist_ok=True)
    (tmp_path / "ghostwright" / "config.toml").write_text(f'[openvino]\nmodel = "{model}"\n')
    return {"XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_CACHE_HOME": str(tmp_path / "cache")}


def _ghostwright(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ghostwright", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=300)


@requires_model
@pytest.mark.parametrize("case", E2E)
async def test_the_server_refuses_a_hostile_gguf_and_keeps_serving(tmp_path, case):
    model = _e2e_model(tmp_path, case)
    env = _env(tmp_path, model)
    async with session({**FAST, "openvino": {"model": str(model)}}, env=env) as s:
        status = await s.wait_ready()
        assert HOSTILE[case][1] in (status["backendError"] or ""), status["backendError"]
        await _still_serving(s)
        errors = _errors(s)
        assert len(errors) == 1 and HOSTILE[case][1] in errors[0]


@requires_model
@pytest.mark.parametrize("case", E2E)
def test_complete_and_doctor_refuse_a_hostile_gguf_in_one_line(tmp_path, case):
    env = _env(tmp_path, _e2e_model(tmp_path, case))
    source = tmp_path / "a.py"
    source.write_text(CODE)
    done = _ghostwright(env, "complete", f"{source}:2:12")
    assert done.returncode == 1, (done.returncode, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and HOSTILE[case][1] in lines[0], done.stderr
    doctor = _ghostwright(env, "doctor")
    assert doctor.returncode == 1 and "verdict: not ready" in doctor.stdout, doctor.stdout
    assert HOSTILE[case][1] in doctor.stdout and "Traceback" not in doctor.stdout + doctor.stderr


@requires_model
def test_doctor_says_ready_only_after_a_trial_load(tmp_path):
    env = _env(tmp_path, tiny_model(tmp_path / "tiny-qwen2.gguf"))
    doctor = _ghostwright(env, "doctor")
    assert "load check: ok (a trial load in a separate process)" in doctor.stdout, doctor.stdout
    assert "verdict: ready" in doctor.stdout
    assert "load check: ok (remembered for this model's hash)" in _ghostwright(env, "doctor").stdout


# --- a FIFO in a model folder: refused by its type, never opened ---

def _ir_with_fifo(tmp_path: Path, name: str) -> Path:
    folder = tmp_path / "qwen2.5-coder-fifo"
    folder.mkdir()
    for f in EMBEDDED.glob("openvino_*"):
        (folder / f.name).symlink_to(f)
    os.mkfifo(folder / name)
    return folder


def test_only_regular_files_are_opened(tmp_path):
    fifo = tmp_path / "config.json"
    os.mkfifo(fifo)
    with pytest.raises(regular_files.NotRegularFileError, match="FIFO"):
        regular_files.open_binary(fifo)
    with pytest.raises(regular_files.NotRegularFileError, match="character device"):
        regular_files.read_bytes(Path("/dev/zero"))
    with pytest.raises(safe_formats.UnsafeFormatError, match="FIFO"):
        safe_formats.check_file(tmp_path / "config.json")


@pytest.mark.parametrize("name", ["config.json", "README.md", "ghostwright-model.json", "LICENSE"])
async def test_reading_a_licence_beside_a_fifo_does_not_block(tmp_path, name):
    folder = tmp_path / "m"
    folder.mkdir()
    os.mkfifo(folder / name)
    licence = await asyncio.wait_for(asyncio.to_thread(provenance.read_licence, folder), 10)
    assert licence.klass == "unknown"
    with pytest.raises(safe_formats.UnsafeFormatError, match=f"{name} is a FIFO"):
        await asyncio.wait_for(asyncio.to_thread(safe_formats.check_model, folder), 10)


@requires_model
async def test_the_server_refuses_a_model_folder_holding_a_fifo(tmp_path):
    folder = _ir_with_fifo(tmp_path, "config.json")
    env = _env(tmp_path, folder)
    async with session({**FAST, "openvino": {"model": str(folder)}}, env=env) as s:
        status = await s.wait_ready(timeout=60)
        assert "config.json is a FIFO" in (status["backendError"] or ""), status
        await _still_serving(s)
        assert len(_errors(s)) == 1


@requires_model
def test_complete_and_doctor_refuse_a_model_folder_holding_a_fifo(tmp_path):
    env = _env(tmp_path, _ir_with_fifo(tmp_path, "config.json"))
    source = tmp_path / "a.py"
    source.write_text(CODE)
    done = _ghostwright(env, "complete", f"{source}:2:12")
    assert done.returncode == 1 and "config.json is a FIFO" in done.stderr, done.stderr
    doctor = _ghostwright(env, "doctor")
    assert doctor.returncode == 1 and "config.json is a FIFO" in doctor.stdout, doctor.stdout
