"""`ghostwright complete` prints the completion the editor would get, streamed."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import ROOT, ready_session, requires_model

pytestmark = requires_model
EXAMPLE = "docs/examples/shapes.py:13:9"  # the empty body of Circle.area


def ghostwright(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ghostwright", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_complete_streams_the_body_to_the_terminal():
    run = ghostwright("complete", EXAMPLE)
    assert run.returncode == 0, run.stderr
    assert "return" in run.stdout
    assert "math.pi" in run.stdout


def test_complete_json_prints_the_final_item_with_its_range():
    run = ghostwright("complete", "--json", EXAMPLE)
    assert run.returncode == 0, run.stderr
    item = json.loads(run.stdout)
    assert item["insertText"].startswith("return")
    assert item["range"]["start"] == item["range"]["end"] == {"line": 12, "character": 8}
    assert item["stats"]["tokens"] >= 1
    # The streamed output and the final item agree.
    assert ghostwright("complete", EXAMPLE).stdout.strip() == item["insertText"].strip()


# The body of Circle.area (multi-line mode), and inside an expression (single-line mode).
PLACES = [(13, 9), (17, 25)]


async def test_the_cli_and_the_editor_get_the_same_text_at_the_same_place():
    """`ghostwright complete` (so `make run`) shows exactly what the editor would get."""
    path = ROOT / "docs/examples/shapes.py"
    async with ready_session() as s:
        s.open(path.resolve().as_uri(), path.read_text(encoding="utf-8"))
        for line, col in PLACES:
            run = ghostwright("complete", "--json", f"docs/examples/shapes.py:{line}:{col}")
            assert run.returncode == 0, run.stderr
            cli = json.loads(run.stdout)
            answer = await s.complete_async(path.resolve().as_uri(), line - 1, col - 1)
            assert answer.items, (line, col, cli)
            item = answer.items[0]
            assert item.insert_text.strip() and item.insert_text == cli["insertText"], (line, col)
            start = {"line": item.range.start.line, "character": item.range.start.character}
            assert cli["range"]["start"] == cli["range"]["end"] == start == {"line": line - 1, "character": col - 1}


def test_bad_location_is_a_clear_error():
    run = ghostwright("complete", "docs/examples/shapes.py")
    assert run.returncode != 0
    assert "FILE:LINE:COL" in run.stderr


def test_models_lists_the_embedded_model_with_its_hash_and_licence():
    run = ghostwright("models")
    assert run.returncode == 0
    assert "qwen2.5-coder-0.5b" in run.stdout and "openvino-ir" in run.stdout and "gguf" in run.stdout
    assert "apache-2.0" in run.stdout
    assert "sha256" in run.stdout


def test_doctor_says_what_would_serve_and_why():
    run = ghostwright("doctor")
    assert "device: CPU (AUTO: no NPU found" in run.stdout or "device: NPU" in run.stdout
    assert "prompt template: qwen2.5-coder" in run.stdout
    assert run.returncode == 0, run.stdout
