"""Every Emacs snippet of README.md and docs/emacs.md, run as written in a real Emacs 28.

The snippets are read from the Markdown at test time, so docs and tests cannot drift: each
```elisp block carries an HTML comment `<!-- snippet: KIND -->` naming the set-up it is run in.
`/path/to/ghostwright` stands for a checkout made of this one's elisp/ and the installed server.
The set-ups that load ghostwright run in terminal Emacs under tmux with the snippet as the
user's init file (Debian's packages activated as at any start-up), visit a Python file, type a
character into an empty method body and wait for the ghost text over the expected transport.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from test_emacs import EMACS, SERVER, emacs, tmux

DOCS = [ROOT / "README.md", ROOT / "docs" / "emacs.md"]
TAGGED = re.compile(r"<!-- snippet: (\S+) -->\n```elisp\n(.*?)```", re.S)
PLACEHOLDER = "/path/to/ghostwright"
OBSERVER = ROOT / "tests" / "elisp" / "snippet-observer.el"
MAIN_SERVER = ROOT / "tests" / "elisp" / "main_server.py"


def snippets() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOCS:
        for i, (kind, code) in enumerate(TAGGED.findall(doc.read_text())):
            found.append((f"{doc.name}-{i}-{kind}", kind, code))
    return found


SNIPPETS = snippets()


def test_every_elisp_block_is_run():
    for doc in DOCS:
        text = doc.read_text()
        assert len(TAGGED.findall(text)) == text.count("```elisp\n"), \
            f"{doc.name}: an ```elisp block without a `<!-- snippet: KIND -->` line is run by no test"
    assert {kind for _, kind, _ in SNIPPETS} <= set(RUNNERS), "a snippet kind no test knows"


@pytest.fixture
def checkout(tmp_path) -> Path:
    """What /path/to/ghostwright stands for: this checkout's elisp/ and the installed server."""
    root = tmp_path / "ghostwright"
    (root / ".venv" / "bin").mkdir(parents=True)
    (root / "elisp").symlink_to(ROOT / "elisp")
    (root / ".venv" / "bin" / "ghostwright").symlink_to(SERVER)
    return root


def as_written(code: str, checkout: Path) -> str:
    return code.replace(PLACEHOLDER, str(checkout))


# --- the set-ups that need no server -------------------------------------------------------

def run_server_command(code: str, checkout: Path, tmp_path: Path) -> None:
    run = emacs("-L", str(ROOT / "elisp"), "-l", "ghostwright", "--eval", f"(progn {code})",
                "--eval", "(unless (file-executable-p (car ghostwright-server-command)) (kill-emacs 3))",
                home=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


def run_keys(code: str, checkout: Path, tmp_path: Path) -> None:
    """The rebinding example takes effect while ghost text shows, and only then."""
    check = """(with-temp-buffer
      (ghostwright-mode 1)
      (insert "x = ")
      (ghostwright--display (list "compute(a, b)") t)
      (unless (and (eq (key-binding (kbd "C-e") nil nil) 'ghostwright-accept-line)
                   (eq (key-binding (kbd "M-f") nil nil) 'ghostwright-accept-word))
        (princ (format "while shown: C-e %S, M-f %S" (key-binding (kbd "C-e")) (key-binding (kbd "M-f"))))
        (kill-emacs 3))
      (ghostwright-dismiss)
      (unless (eq (key-binding (kbd "C-e") nil nil) 'move-end-of-line)
        (kill-emacs 4)))"""
    run = emacs("-L", str(ROOT / "elisp"), "--eval", f"(progn {code})", "-l", "ghostwright",
                "--eval", check, home=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr


# --- the set-ups that run ghostwright: terminal Emacs with the snippet as init file ----------

# The user's other settings, not part of any snippet: Emacs 28 without use-package (Debian's
# elpa-use-package is installed for the snippet that says to install it), and for lsp-mode a
# main language server for Python (the stand-in of tests/elisp/main_server.py for pyright).
EARLY_INIT = {
    "plain": "(setq package-load-list '((use-package nil) (bind-key nil) all))",
    "eglot": "(setq package-load-list '((use-package nil) (bind-key nil) all))",
    "use-package": "",
    "lsp": """(setq package-load-list '((use-package nil) (bind-key nil) all))
(setq lsp-session-file (expand-file-name "lsp-session" user-emacs-directory)
      lsp-auto-guess-root t lsp-enable-file-watchers nil lsp-keep-workspace-alive nil
      lsp-headerline-breadcrumb-enable nil lsp-modeline-code-actions-enable nil)
(with-eval-after-load 'lsp-mode
  (lsp-register-client
   (make-lsp-client :new-connection (lsp-stdio-connection (lambda () (list "%s" "%s")))
                    :major-modes '(python-mode) :server-id 'main-python :priority 10)))""",
}
TRANSPORT = {"plain": "standalone", "use-package": "standalone", "eglot": "eglot", "lsp": "lsp"}
EMPTY_BODY = ((ROOT / "docs" / "examples" / "shapes.py").read_text(), 13, 8)  # Circle.area's empty body


def read_report(path: Path) -> dict:
    try:
        text = path.read_text()
    except OSError:
        return {}
    keys = re.findall(r":(\w+) ", text)
    report = {}
    for key in keys:
        m = re.search(rf":{key} (\"(?:[^\"\\\\]|\\\\.)*\"|\S+)", text)
        if m:
            value = m.group(1)
            report[key] = value[1:-1].encode().decode("unicode_escape") if value.startswith('"') else value
    return report


def run_in_terminal_emacs(kind: str, code: str, checkout: Path, tmp_path: Path) -> None:
    assert shutil.which("tmux"), "tmux is not installed: `make test` installs it"
    home = tmp_path / "home"
    (home / ".emacs.d").mkdir(parents=True)
    early = EARLY_INIT[kind]
    if kind == "lsp":
        early = early % (Path(sys.executable), MAIN_SERVER)
    (home / ".emacs.d" / "early-init.el").write_text(early + "\n")
    (home / ".emacs.d" / "init.el").write_text(code)
    text, line, column = EMPTY_BODY
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()  # a project root, as lsp-mode and eglot look for one
    file = project / "shapes.py"
    file.write_text(text)
    report = tmp_path / "report"
    env = {"HOME": str(home), "TERM": "xterm-256color", "GWT_FILE": str(file), "GWT_LINE": str(line),
           "GWT_COLUMN": str(column), "GWT_REPORT": str(report),
           # `ghostwright` on PATH, as the docs offer; the snippets here name the full path anyway.
           "PATH": f"{SERVER.parent}{os.pathsep}{os.environ['PATH']}"}
    command = " ".join([f"{k}={v}" for k, v in env.items()] +
                       [EMACS or "emacs", "-nw", "-l", str(OBSERVER), str(file)])
    socket = f"ghostwright-snippet-{os.getpid()}-{kind}"
    run = functools.partial(tmux, socket=socket)
    run("new-session", "-d", "-s", "gw", "-x", "120", "-y", "30", "-c", str(project), command)

    def wait(pred, timeout: float, what: str) -> dict:
        deadline = time.monotonic() + timeout
        state: dict = {}
        while time.monotonic() < deadline:
            state = read_report(report)
            if pred(state):
                return state
            time.sleep(0.3)
        screen = run("capture-pane", "-p", "-t", "gw")
        raise AssertionError(f"{kind}: no {what} in {timeout:.0f} s; last report {state}\n{screen}")

    try:
        state = wait(lambda s: s.get("major") == "python-mode", 30, "Python buffer")
        assert state.get("loaded") == "t", f"{kind}: ghostwright is not loaded: {state}"
        assert state.get("mode") == "t", f"{kind}: ghostwright-mode is off in the first file: {state}"
        run("send-keys", "-t", "gw", "C-l")  # a first command: eglot-ensure and lsp-deferred start on one
        wait(lambda s: s.get("transport") == TRANSPORT[kind] or (kind == "plain" or kind == "use-package"),
             60, f"{TRANSPORT[kind]} transport")
        time.sleep(1)
        run("send-keys", "-t", "gw", "r")
        state = wait(lambda s: s.get("final") == "t" or (s.get("shown") not in (None, "nil", "")),
                     120, "ghost text")
        assert state.get("transport") == TRANSPORT[kind], f"{kind}: served over {state.get('transport')}"
        assert "error" not in state.get("messages", "").lower(), state.get("messages")
    finally:
        subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)


def run_spacemacs(code: str, checkout: Path, tmp_path: Path) -> None:
    """The layer, copied (not linked) into the private layers, in a buffer without lsp-mode."""
    layer = tmp_path / "private" / "ghostwright"
    shutil.copytree(ROOT / "elisp" / "spacemacs" / "ghostwright", layer, symlinks=True)
    assert not [p for p in layer.rglob("*") if p.is_symlink()], "the layer holds a link that breaks when copied"
    file = tmp_path / "notes.el"
    file.write_text(";;; notes.el --- notes -*- lexical-binding: t; -*-\n\n"
                    "(defun add-two (x)\n  \"Return X plus two.\"\n  ")
    env = {"GWT_LAYER_DIR": str(layer), "GWT_SNIPPET": code, "GWT_FILE": str(file)}
    run = subprocess.run([EMACS, "-Q", "--batch", "-l", str(ROOT / "tests" / "elisp" / "spacemacs-standin.el")],
                         env={**os.environ, **env, "PATH": f"{SERVER.parent}{os.pathsep}{os.environ['PATH']}"},
                         capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    output = run.stdout + run.stderr
    result = re.search(r"RESULT (.*)", output)
    assert result, output
    # Emacs Lisp has no lsp-mode here: the own connection serves it, and answers.
    assert "mode=t transport=standalone answered=t" in result.group(1), output
    # The snippet's layer list has `lsp', and the layer declares it only when it needs it.
    assert "declared=nil" in result.group(1), output


RUNNERS = {
    "spacemacs": run_spacemacs,
    "server-command": run_server_command,
    "keys": run_keys,
    "plain": functools.partial(run_in_terminal_emacs, "plain"),
    "use-package": functools.partial(run_in_terminal_emacs, "use-package"),
    "eglot": functools.partial(run_in_terminal_emacs, "eglot"),
    "lsp": functools.partial(run_in_terminal_emacs, "lsp"),
}


@pytest.mark.parametrize("name,kind,code", [
    # The snippets that start a server and ask it for a completion need the model.
    pytest.param(*s, id=s[0], marks=pytest.mark.model if s[1] in TRANSPORT or s[1] == "spacemacs" else ())
    for s in SNIPPETS])
def test_snippet_works_as_written(checkout, tmp_path, name, kind, code):
    RUNNERS[kind](as_written(code, checkout), checkout, tmp_path)
