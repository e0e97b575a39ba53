"""The Emacs client in a real Emacs: the ERT suite against the real server, byte-compile, checkdoc."""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, requires_model

ELISP = ROOT / "elisp"
SERVER = Path(sys.executable).parent / "ghostwright"
EMACS = shutil.which("emacs")

# Every ERT test in tests/elisp/ghostwright-test.el: each must have run and passed.
ERT_TESTS = [
    "ghostwright-standalone-streams-types-through-and-accepts",
    "ghostwright-typing-through-while-streaming",
    "ghostwright-moving-away-while-streaming-cancels-the-generation",
    "ghostwright-standalone-document-sync-matches-the-buffer",
    "ghostwright-standalone-names-the-project-as-a-workspace-folder",
    "ghostwright-killing-a-buffer-mid-stream-cancels-its-generation",
    "ghostwright-shutdown-stays-shut-until-asked",
    "ghostwright-server-that-cannot-start-says-why-in-one-line",
    "ghostwright-stale-partials-are-dropped",
    "ghostwright-partials-without-a-readable-version",
    "ghostwright-accept-word-and-line",
    "ghostwright-ghost-text-mid-line-and-end-of-buffer",
    "ghostwright-missing-server-is-reported-once",
    "ghostwright-disable-predicates",
    "ghostwright-idle-trigger-after-typing",
    "ghostwright-spacemacs-keys-win-over-evil-insert-state",
    "ghostwright-keys-leave-everyday-editing-alone",
    "ghostwright-leading-newline-keeps-the-cursor-at-point",
    "ghostwright-eglot-beside-another-server-uses-its-own-connection",
    "ghostwright-eglot-streams-types-through-and-accepts",
    "ghostwright-eglot-without-its-internals",
    "ghostwright-eglot-positions-after-emoji-and-cjk",
    "ghostwright-eglot-shutdown-stays-shut",
    "ghostwright-private-symbols-of-the-installed-packages-resolve",
    "ghostwright-lsp-mode-add-on-beside-a-main-server",
    "ghostwright-lsp-mode-without-its-internals",
    "ghostwright-lsp-mode-positions-after-emoji-and-cjk",
    "ghostwright-standalone-transport-beside-lsp-mode",
    "ghostwright-next-asks-for-a-second-candidate",
]


def emacs(*args: str, home: Path | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """Run batch Emacs; HOME moves only where the server (which finds its model there) is not run."""
    assert EMACS, "emacs is not installed: `make test` installs emacs-nox, elpa-eglot and elpa-lsp-mode"
    env = {**os.environ, "GHOSTWRIGHT_SERVER": str(SERVER), **({"HOME": str(home)} if home else {})}
    return subprocess.run([EMACS, "-Q", "--batch", *args], cwd=ROOT, env=env, timeout=timeout,
                          stdin=subprocess.DEVNULL,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def ert_run() -> tuple[dict[str, str], str]:
    """Run the whole ERT suite once; map each test name to passed/FAILED."""
    run = emacs("-L", "elisp", "-l", "tests/elisp/ghostwright-test.el",
                "-f", "ert-run-tests-batch-and-exit")
    output = run.stdout + run.stderr
    results = dict((name, verdict) for verdict, name in
                   re.findall(r"^\s+(passed|FAILED|SKIPPED)\s+\d+/\d+\s+(\S+)", output, re.M))
    return results, output


@requires_model
@pytest.mark.parametrize("name", ERT_TESTS)
def test_ert(ert_run, name):
    results, output = ert_run
    assert results.get(name) == "passed", f"ERT {name}: {results.get(name)}\n{output[-6000:]}"


@requires_model
def test_ert_suite_has_no_unlisted_tests(ert_run):
    results, _ = ert_run
    assert sorted(results) == sorted(ERT_TESTS)


# The package: every file of elisp/ (the spacemacs layer is loaded by Spacemacs, not compiled).
PACKAGE_FILES = sorted(p.name for p in ELISP.glob("*.el"))


def test_the_package_is_in_parts():
    """The UI and each transport are files of their own, each a proper package file."""
    assert {"ghostwright.el", "ghostwright-jsonrpc.el", "ghostwright-eglot.el",
            "ghostwright-lsp.el"} <= set(PACKAGE_FILES)
    for name in PACKAGE_FILES:
        text = (ELISP / name).read_text()
        feature = name.removesuffix(".el")
        assert text.startswith(f";;; {name} --- ") and "-*- lexical-binding: t; -*-" in text.split("\n")[0], name
        assert f"(provide '{feature})" in text, name
        assert text.rstrip().endswith(f";;; {name} ends here"), name
        assert ("Package-Requires:" in text) == (name == "ghostwright.el"), name


@pytest.mark.parametrize("preload", ["", "(progn (require 'eglot) (require 'lsp-mode))"])
@pytest.mark.parametrize("file", PACKAGE_FILES)
def test_byte_compiles_without_warnings(tmp_path, preload, file):
    """Each file alone, in a fresh Emacs, beside copies of the others (its requires)."""
    for name in PACKAGE_FILES:
        shutil.copy(ELISP / name, tmp_path)
    run = emacs(
        "--eval", '(setq package-directory-list (list "/usr/share/emacs/site-lisp/elpa"))',
        "-f", "package-initialize",
        "-L", str(tmp_path),
        "--eval", preload or "nil",
        "--eval", "(setq byte-compile-error-on-warn t)",
        "--eval", f'(unless (byte-compile-file "{tmp_path / file}") (kill-emacs 1))',
        home=tmp_path, timeout=120)
    output = run.stdout + run.stderr
    assert run.returncode == 0 and "Warning" not in output, output


@pytest.mark.parametrize("file", [*PACKAGE_FILES, *(f"spacemacs/ghostwright/{p.name}" for p in
                                   sorted((ELISP / "spacemacs" / "ghostwright").glob("*.el")))])
def test_checkdoc_is_clean(tmp_path, file):
    run = emacs("--eval", "(require 'checkdoc)",
                "--eval", f'(checkdoc-file "{ELISP / file}")', home=tmp_path, timeout=120)
    output = (run.stdout + run.stderr).strip()
    assert run.returncode == 0 and output == "", output


def tmux(*args: str, socket: str = "ghostwright-test") -> str:
    run = subprocess.run(["tmux", "-L", socket, *args], capture_output=True, text=True)
    if run.returncode:
        raise AssertionError(f"tmux {' '.join(args[:2])} failed: {run.stderr.strip()}")
    return run.stdout


MID_LINE = "import math\n\n\ndef circle_area(radius):\n    return math.pi * radius ** 2\n\n\nprint(circle_area())\n"
END_OF_BUFFER = "import math\n\n\ndef circle_area(radius):\n    return"
BLOCK_OPENER = "def circle_area(radius):\n\n\nprint(circle_area(2))\n"
SCREENS = {
    # name: (text, line, column) of the cursor (1-based line, 0-based column), ghost text or None.
    # With None the real server and model answer: only where any sensible answer is non-empty (a
    # method's empty body, after `return`). Elsewhere the drawing is the subject and the ghost text
    # is fixed: at `print(circle_area(|))` a model may rightly answer nothing (greedy output
    # differs between CPUs).
    "end-of-line": ((ROOT / "docs" / "examples" / "shapes.py").read_text(), 13, 8, None),  # Circle.area's empty body
    "end-of-buffer": (END_OF_BUFFER, 5, 10, None),
    "mid-line": (MID_LINE, 8, 18, "2.0"),  # print(circle_area(|))
    "newline-first-end-of-line": (BLOCK_OPENER, 1, 24, "\n    return math.pi * radius ** 2"),
    "newline-first-mid-line": (MID_LINE, 8, 18, "\n    2.0\n"),
}


@pytest.mark.parametrize("where", SCREENS)
def test_terminal_emacs_shows_ghost_text_at_the_cursor(tmp_path, request, where):
    """Terminal Emacs in tmux: ghost text drawn at the cursor, dimmed, the cursor before it."""
    assert shutil.which("tmux"), "tmux is not installed: `make test` installs it"
    text, line, column, scripted = SCREENS[where]
    if scripted is None:
        request.getfixturevalue("embedded_model")
    file = tmp_path / "shapes.py"
    file.write_text(text)
    done = tmp_path / "done"
    env = {"GHOSTWRIGHT_SERVER": str(SERVER), "GWT_FILE": str(file), "GWT_LINE": str(line),
           "GWT_COLUMN": str(column), "GWT_DONE": str(done), "TERM": "xterm-256color"}
    if scripted is not None:
        env["GWT_GHOST"] = scripted
    command = " ".join([f"{k}={shlex.quote(v)}" for k, v in env.items()] +
                       [EMACS or "emacs", "-nw", "-Q", "-L", str(ELISP),
                        "-l", str(ROOT / "tests" / "elisp" / "ghostwright-screen.el")])
    # A tmux server of its own per case: the last case's server may still be going away.
    socket = f"ghostwright-test-{os.getpid()}-{where}"
    run = functools.partial(tmux, socket=socket)
    run("new-session", "-d", "-s", "gw", "-x", "100", "-y", "24", command)
    try:
        deadline = time.monotonic() + 120
        screen = ""
        while time.monotonic() < deadline:
            screen = run("capture-pane", "-p", "-t", "gw")
            if done.exists() and (scripted is not None or "GW[openvino/" in screen):
                break
            time.sleep(0.2)
        assert done.exists(), f"no final ghost text in time:\n{screen}"
        time.sleep(0.3)  # the redisplay after the hook
        screen = run("capture-pane", "-p", "-t", "gw")
        ghost = done.read_text()
        assert ghost, "the final ghost text is empty"
        lines = text.split("\n")
        before, after = lines[line - 1][:column], lines[line - 1][column:]
        expected = (before + ghost + after).split("\n")
        rows = screen.split("\n")
        assert [r.rstrip() for r in rows[line - 1:line - 1 + len(expected)]] == \
            [e.rstrip() for e in expected], screen
        x, y = run("display-message", "-p", "-t", "gw", "#{cursor_x} #{cursor_y}").split()
        assert (int(x), int(y)) == (column, line - 1), f"the cursor sits before the ghost text:\n{screen}"
        first = next(i for i, part in enumerate(ghost.split("\n")) if part.strip())
        coloured = run("capture-pane", "-p", "-e", "-t", "gw").split("\n")[line - 1 + first]
        word = ghost.split("\n")[first].strip()[:3]
        escapes = re.findall(r"\x1b\[[0-9;]*m", coloured[:coloured.index(word)]) if word in coloured else []
        assert escapes and escapes[-1] == "\x1b[90m", f"the ghost text is drawn dimmed: {coloured!r}"
        assert file.read_text() == text, "the ghost text is not in the buffer"
        if where == "end-of-line" and os.environ.get("GHOSTWRIGHT_UPDATE_CAPTURE"):
            (ROOT / "docs" / "emacs-ghost-text.txt").write_text(screen)
            (ROOT / "docs" / "emacs-ghost-text.ansi").write_text(run("capture-pane", "-p", "-e", "-t", "gw"))
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
