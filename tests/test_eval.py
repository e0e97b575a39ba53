"""`ghostwright eval`: holes drawn from the user's own code (seeded; secrets and .gitignore'd files never
read), answered by each configured backend through the engine, scored as `make bench-real` scores."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import AUDIT_ENV, ROOT, requires_model
from ghostwright import config as configuration
from ghostwright.evaluation import holes, run, scoring, sources
from ghostwright.evaluation.command import Bar

sys.path.insert(0, str(Path(__file__).parent / "bench"))
import real_code  # noqa: E402

REAL = ROOT / "tests/bench/data/real"
PYTHON = REAL / "python/attrs-24.2.0/validators.py"
JAVASCRIPT = REAL / "javascript/semver-7.6.3/semver.js"
SECRET, VISIBLE = "GW_SECRET_MARKER_7f3a", "GW_VISIBLE_MARKER_2c9e"
# Files the walker must never hand over, each a Python file that would otherwise be sampled.
HIDDEN = (".env", ".env.py", ".env.local.py", "id_tool.py", "credentials.py", "secrets.local.py", "ignored.py",
          "build/generated.py", "vendor/deep/lib.py")


def plant(root: Path) -> Path:
    """A small repository: real code nobody on this project wrote, one visible file with a marker,
    and the same code with a secret marker in files that look secret or that .gitignore excludes."""
    (root / "src").mkdir(parents=True)
    shutil.copy(PYTHON, root / "src/validators.py")
    shutil.copy(JAVASCRIPT, root / "src/semver.js")
    code = PYTHON.read_text(encoding="utf-8")
    (root / "src/visible.py").write_text(f"TOKEN = '{VISIBLE}'\n" + code, encoding="utf-8")
    for name in HIDDEN:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"API_KEY = '{SECRET}'  # {SECRET}\n" + code, encoding="utf-8")
    (root / ".gitignore").write_text("ignored.py\nbuild/\nvendor/\n", encoding="utf-8")
    return root


def texts(sample: list[holes.Hole]) -> str:
    return "\n".join(h.before + h.after + h.expected + h.path for h in sample)


def test_secret_and_ignored_files_never_reach_a_hole(tmp_path):
    files = sources.code_files(plant(tmp_path))
    assert sorted(p for p, _ in files["python"]) == ["src/validators.py", "src/visible.py"]
    assert [p for p, _ in files["javascript"]] == ["src/semver.js"]
    every = holes.sample(files, 100_000, seed=1)
    assert SECRET not in texts(every)
    assert VISIBLE in texts(every)  # the same code, not hidden, is sampled
    # --exclude: one more glob, as in .gitignore.
    fewer = sources.code_files(tmp_path, exclude=("visible.py",))
    assert VISIBLE not in texts(holes.sample(fewer, 100_000, seed=1))


def test_the_sample_is_seeded_stratified_and_sized(tmp_path):
    files = sources.code_files(plant(tmp_path))
    first = holes.sample(files, 40, seed=3)
    again = holes.sample(sources.code_files(tmp_path), 40, seed=3)
    assert [(h.task_id, h.before, h.after, h.expected) for h in first] == \
           [(h.task_id, h.before, h.after, h.expected) for h in again]
    assert {h.task_id for h in holes.sample(files, 40, seed=4)} != {h.task_id for h in first}
    assert len(first) == 40
    # Languages take turns; within one, kinds of place take turns.
    assert {h.language for h in first[:2]} == {"python", "javascript"}
    assert len({h.place for h in first}) >= 7
    for hole in first:  # each hole is its file with the rest of one line taken out
        assert hole.expected and hole.expected.strip() == hole.expected.rstrip().strip()
        assert "\n" not in hole.expected
    # More than there is: every hole once.
    every = holes.sample(files, 100_000, seed=3)
    assert len(every) == len({(h.task_id, len(h.before)) for h in every}) < 100_000


def test_the_bench_and_eval_draw_holes_alike():
    """One hole-punching: `make bench-real`'s holes come from the same functions eval uses."""
    files = real_code.load_files()
    assert real_code.make_holes is holes.make_holes and real_code.Score is scoring.Score
    bench = real_code.make_holes(files, 5, languages=("python",))
    assert [h.task_id for h in bench] == [h.task_id for h in holes.make_holes({"python": files["python"]}, 5)]


def test_scores_are_percentages_and_seconds():
    hole = holes.Hole("python", "a.py", "word", 0, "x = ", "\n", "compute(a, b)")
    score = scoring.Score()
    score.add(hole, "compute(a, b)\nmore", 0.5)
    score.add(hole, "", 1.5)
    score.add(hole, "compute(a)", 3.0)
    f = score.figures()
    assert f["n"] == 3 and f["exactPct"] == pytest.approx(100 / 3) and f["emptyPct"] == pytest.approx(100 / 3)
    assert 0 < f["similarity"] < 100 and f["p50S"] == 1.5 and f["p95S"] == 3.0
    assert scoring.Score().figures()["exactPct"] is None


def test_the_progress_bar_is_drawn_only_on_a_terminal():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    shown, piped = Terminal(), io.StringIO()
    for stream in (shown, piped):
        bar = Bar(4, stream)
        for _ in range(4):
            bar.step()
        bar.end()
    assert "4/4" in shown.getvalue() and "#" * Bar.WIDTH in shown.getvalue()
    assert piped.getvalue() == ""


def test_each_configured_backend_is_evaluated_alone():
    cfg = configuration.load({"ollama": {"model": "qwen2.5-coder:7b"}, "completion": {"debounceMs": 250}},
                                 path=Path("/nonexistent"))[0]
    systems = run.systems(cfg)
    assert [s.backend for s in systems] == ["openvino", "ollama"]
    for s in systems:
        assert s.config.backend == s.backend and s.config.router.policy == "npu-only"
        assert s.config.completion.debounce_ms == 0 and s.config.completion.cache_entries == 0
    assert [s.backend for s in run.systems(cfg, ("ollama",))] == ["ollama"]
    # The user's own OpenVINO model, and the embedded one beside it.
    cfg.openvino.model = "/models/mine.gguf"
    models = [(s.backend, s.config.openvino.model) for s in run.systems(cfg, ("openvino",))]
    assert models == [("openvino", "/models/mine.gguf"), ("openvino", "")]


# --- end to end: the real command, the real embedded model ---
ROW = re.compile(r"^\| (?P<key>[\w-]+) \| (?P<backend>[^|]+) \| (?P<n>\d+) \| (?P<figures>[^\n]+) \|$")


def ghostwright_eval(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """The command as a user runs it, under the tests' network audit (it proves it installed the hook)."""
    proc = subprocess.Popen([sys.executable, "-m", "ghostwright", "eval", *args], cwd=cwd,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        out, err = proc.communicate(timeout=600)
    finally:
        proc.kill()
    audited = Path(os.environ[AUDIT_ENV] + ".pids").read_text().split()
    assert str(proc.pid) in audited, "ghostwright eval did not run under the network audit"
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def config_file(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text('[openvino]\ndevice = "CPU"\n' + extra, encoding="utf-8")
    return path


@pytest.fixture
def repository(tmp_path):
    return plant(tmp_path / "repo")


@requires_model
def test_eval_prints_a_table_per_language_and_kind_of_place_for_each_backend(tmp_path, repository):
    from fake_ollama import FakeProcess

    fake = FakeProcess().start()
    try:
        extra = f'[ollama]\nmodel = "qwen2.5-coder:7b"\nhost = "{fake.url}"\n'
        result = ghostwright_eval("--sample", "4", "--seed", "2", "--config", str(config_file(tmp_path, extra)),
                                  cwd=repository)
    finally:
        fake.kill()
    assert result.returncode == 0, result.stderr
    assert "\r" not in result.stderr  # no progress bar when stderr is not a terminal
    out = result.stdout
    assert SECRET not in out and VISIBLE not in out  # figures, never code
    assert "| language | backend | n | exact first line % | edit similarity | empty % | p50 s | p95 s |" in out
    assert "| kind of place | backend |" in out
    rows = [ROW.match(line) for line in out.splitlines() if line.startswith("| ") and "---" not in line
            and not line.startswith(("| language ", "| kind of place "))]
    assert rows and all(rows), out
    backends = {m["backend"].split(" (")[0] for m in rows}
    assert backends == {"openvino", "ollama"}, out
    for m in rows:
        exact, similarity, empty, p50, p95 = map(float, m["figures"].split(" | "))
        assert all(0 <= x <= 100 for x in (exact, similarity, empty)), m.group(0)
        assert 0 < p50 <= p95, m.group(0)
    totals = [m for m in rows if m["key"] == "all"]
    assert [int(m["n"]) for m in totals] == [4, 4], out
    languages = {m["key"] for m in rows if m["key"] in ("python", "javascript")}
    assert languages == {"python", "javascript"}


@requires_model
def test_eval_json_gives_the_figures_by_language_and_place(tmp_path, repository):
    result = ghostwright_eval(".", "--sample", "3", "--json", "--backend", "openvino",
                              "--config", str(config_file(tmp_path)), cwd=repository)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["holes"] == 3 and report["seed"] == 0
    assert report["files"] == {"javascript": 1, "python": 2}
    (only,) = report["results"]
    assert only["backend"] == "openvino" and only["error"] is None and only["model"]
    assert only["all"]["n"] == 3
    assert sum(f["n"] for f in only["byLanguage"].values()) == 3
    assert sum(f["n"] for f in only["byPlace"].values()) == 3
    for figures in [only["all"], *only["byLanguage"].values(), *only["byPlace"].values()]:
        for key in ("exactPct", "similarity", "emptyPct"):
            assert 0 <= figures[key] <= 100
        assert 0 < figures["p50S"] <= figures["p95S"]
    assert SECRET not in result.stdout and VISIBLE not in result.stdout


def test_eval_refuses_a_missing_folder_or_config_clearly(tmp_path):
    missing = ghostwright_eval(str(tmp_path / "nowhere"), cwd=tmp_path)
    assert missing.returncode == 2 and "is not a folder" in missing.stderr
    no_config = ghostwright_eval(".", "--config", str(tmp_path / "none.toml"), cwd=tmp_path)
    assert no_config.returncode == 2 and "no configuration file" in no_config.stderr
    empty = ghostwright_eval(".", cwd=tmp_path)
    assert empty.returncode == 1 and "no code under" in empty.stderr


@requires_model
async def test_eval_gets_the_answers_make_bench_real_gets_from_the_server():
    """The same holes, answered by eval's engine and by the bench's server session: the same text."""
    from ghostwright.bench import quality
    from ghostwright.engine.engine import Engine

    bench_holes = real_code.interleaved(real_code.make_holes(real_code.load_files(), 1,
                                                             languages=real_code.LANGUAGES))
    cfg = configuration.load({"openvino": {"device": "CPU"}}, path=Path("/nonexistent"))[0]
    (system,) = run.systems(cfg, ("openvino",))
    engine = Engine(system.config)
    engine.encoding = "utf-32"
    engine.start()
    assert await engine.loader.wait() is not None, engine.loader.error
    try:
        ours = [(await run.answer(engine, hole, n))[0] for n, hole in enumerate(bench_holes)]
    finally:
        await engine.shutdown()
    client = await quality.start_server({"completion": {"debounceMs": 0, "maxTokens": 64, "cacheEntries": 0},
                                        "openvino": {"device": "CPU"}})
    try:
        theirs = [(await quality.run_ghostwright(client, hole, n, uri=f"file:///bench/real/{n}/{Path(hole.path).name}",
                                                 language_id=real_code.LANGUAGE_IDS[hole.language]))[0]
                  for n, hole in enumerate(bench_holes)]
    finally:
        await client.shutdown_session()
        await client.stop()
    assert len(ours) == 5 and any(a.strip() for a in ours)
    assert ours == theirs
