"""State files (manifest, load-check cache, session statistics) are replaced whole, even by two writers at once."""

from __future__ import annotations

import json
import threading

import pytest

from ghostwright import json_files
from ghostwright.models import store as model_store
from ghostwright.engine import session_stats


def test_two_writers_at_once_never_fail_nor_leave_half_a_file(tmp_path):
    path = tmp_path / "state" / "manifest.json"
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(300):
                json_files.write(path, {"writer": n, "i": i, "pad": "x" * 4096})
        except BaseException as exc:  # noqa: BLE001 - the test reports any failure
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        if path.exists():
            assert json.loads(path.read_text())["pad"] == "x" * 4096
    for t in threads:
        t.join()
    assert errors == []
    assert json.loads(path.read_text())["i"] == 299
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]


def test_a_failed_write_keeps_the_old_file_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "cache.json"
    json_files.write(path, {"kept": True})
    with pytest.raises(TypeError):
        json_files.write(path, {"not json": object()})
    assert json.loads(path.read_text()) == {"kept": True}
    assert [p.name for p in tmp_path.iterdir()] == ["cache.json"]


def test_the_manifest_and_the_statistics_go_through_it(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    weights = tmp_path / "model.gguf"
    weights.write_bytes(b"GGUF" + bytes(64))
    model_store.record_in_manifest(weights)
    assert model_store.check_files(weights) == []
    session_stats.save([{"backend": "openvino", "requests": 3}], force=True)
    assert session_stats.load()["backends"][0]["requests"] == 3
