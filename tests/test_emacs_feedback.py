"""Acceptance feedback end to end: terminal Emacs in tmux accepts, takes a word, dismisses and types
through ghost text over each transport, and the server's counts, `ghostwright stats` and the
counts file agree — with no source text in the file.

The server is the real one with a scripted backend (tests/elisp/scripted_server.py): the subject
is the editor and what the server counts of it, not the model's text."""

from __future__ import annotations

import functools
import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT
from test_emacs import EMACS, tmux

DRIVER = ROOT / "tests" / "elisp" / "feedback-driver.el"
SCRIPTED_SERVER = ROOT / "tests" / "elisp" / "scripted_server.py"
MAIN_SERVER = ROOT / "tests" / "elisp" / "main_server.py"
MARKER = "gw_marker_4711"  # typed into the buffer by typing through the suggestion
PIECES = ["return ", MARKER, " * r\n"]
ANSWER = f"return {MARKER} * r"
TEXT = "import math\n\n\ndef area(r):\n    \n\n\nprint(area(2))\n"
LINE, COLUMN = 5, 4  # the empty body


class Terminal:
    """One terminal Emacs running the driver, and the files it writes."""

    def __init__(self, tmp: Path, transport: str) -> None:
        self.tmp = tmp
        self.status_file, self.ready, self.shown = tmp / "status.json", tmp / "ready", tmp / "shown"
        self.file = tmp / "area_secret_name.py"
        self.file.write_text(TEXT)
        self.data = tmp / "data"
        env = {"GWT_TRANSPORT": transport, "GWT_FILE": str(self.file), "GWT_LINE": str(LINE),
               "GWT_COLUMN": str(COLUMN), "GWT_STATUS": str(self.status_file), "GWT_READY": str(self.ready),
               "GWT_SHOWN": str(self.shown), "GWT_HOME": str(tmp),
               "GWT_SERVER": f"{sys.executable} {SCRIPTED_SERVER}",
               "GWT_MAIN_SERVER": f"{sys.executable} {MAIN_SERVER}",
               "GHOSTWRIGHT_SCRIPTED": json.dumps(PIECES), "XDG_DATA_HOME": str(self.data),
               "PYTHONPATH": os.environ.get("PYTHONPATH", ""), "TERM": "xterm-256color"}
        command = " ".join([f"{k}={shlex.quote(v)}" for k, v in env.items()] +
                           [EMACS or "emacs", "-nw", "-Q", "-L", str(ROOT / "elisp"), "-l", str(DRIVER)])
        self.socket = f"ghostwright-feedback-{os.getpid()}-{transport}"
        self.run = functools.partial(tmux, socket=self.socket)
        self.run("new-session", "-d", "-s", "gw", "-x", "120", "-y", "30", command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "gw")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "gw", *(("-l",) if literal else ()), *keys)

    def wait(self, predicate, what: str, timeout: float = 30, interval: float = 0.1):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(interval)
        raise AssertionError(f"timed out waiting for {what}:\n{self.screen()}")

    def status(self) -> dict:
        self.status_file.unlink(missing_ok=True)
        self.keys("F7")
        self.wait(self.status_file.exists, "the status")
        return json.loads(self.status_file.read_text())

    def counts(self) -> dict:
        """The session's counts summed over its rows (the place's kind may differ between requests)."""
        rows = self.status()["feedback"] or []
        assert all(r["language"] == "python" and r["backend"] == "scripted" for r in rows), rows
        return {f: sum(r[f] for r in rows) for f in
                ("shown", "accepted", "partial", "dismissed", "typedThrough", "acceptedChars",
                 "checkedCharsFirst", "retainedCharsFirst", "checkedCharsSecond", "retainedCharsSecond")}

    def wait_counts(self, what: str, **expected: int) -> dict:
        def check() -> dict | None:
            c = self.counts()
            return c if all(c[k] == v for k, v in expected.items()) else None
        try:
            # Seldom enough that Emacs goes idle between asks: eglot sends its changes when idle.
            return self.wait(check, what, timeout=20, interval=0.8)
        except AssertionError:
            raise AssertionError(f"{what}: expected {expected}, got {self.counts()}") from None

    def ask(self) -> str:
        """<f6>, then the final ghost text."""
        self.shown.unlink(missing_ok=True)
        self.keys("F6")
        self.wait(self.shown.exists, "ghost text")
        return self.shown.read_text()

    def blank_the_line(self) -> None:
        """The cursor's line back to the empty body, the cursor where the test asks."""
        self.keys("C-a", "C-k")
        self.keys("    ", literal=True)

    def close(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True)


@pytest.mark.parametrize("transport", ["standalone", "eglot", "lsp"])
def test_accepts_partial_accepts_dismissals_and_typing_through_are_counted(tmp_path, transport):
    assert shutil.which("tmux"), "tmux is not installed: `make test` installs it"
    t = Terminal(tmp_path, transport)
    try:
        t.wait(t.ready.exists, f"the {transport} transport and the backend", timeout=60)
        n = len(ANSWER)

        # 1. Shown, accepted with TAB: the buffer has it, the server counts it.
        assert t.ask() == ANSWER
        t.keys("Tab")
        c = t.wait_counts("the accept", shown=1, accepted=1, acceptedChars=n)
        # 2. Accepted and retained: all of it at the first check; the line is then deleted, and
        #    the second check finds none of it.
        t.wait_counts("the first retention check", checkedCharsFirst=n, retainedCharsFirst=n)
        t.blank_the_line()
        t.wait_counts("the second retention check", checkedCharsSecond=n, retainedCharsSecond=0)
        # 3. A word taken (M-<right>), the rest dismissed: a partial accept, not a dismissal.
        assert t.ask() == ANSWER
        t.keys("M-Right")
        # (C-g is the terminal's quit key: sent at once, it would interrupt the command before it.)
        t.wait_counts("the partial accept", shown=2, partial=1, acceptedChars=n + len("return"))
        t.keys("C-g")
        t.wait_counts("the rest dismissed", shown=2, partial=1, dismissed=0)
        time.sleep(0.3)
        t.blank_the_line()
        # 4. Dismissed with C-g.
        assert t.ask() == ANSWER
        t.keys("C-g")
        t.wait_counts("the dismissal", shown=3, dismissed=1)
        # 5. Typed through to its end (this types the marker into the buffer).
        assert t.ask() == ANSWER
        t.keys(ANSWER, literal=True)
        c = t.wait_counts("the typing through", shown=4, accepted=1, partial=1, dismissed=1, typedThrough=1)
        assert c["acceptedChars"] == n + len("return")
        # M-x ghostwright-stats: the table and a bar per day, in the terminal.
        t.keys("M-x")
        t.keys("ghostwright-stats", literal=True)
        t.keys("Enter")
        screen = t.wait(lambda: (lambda s: s if "per day" in s else None)(t.screen()), "M-x ghostwright-stats")
        assert "python" in screen and "scripted" in screen and "█" in screen, screen
        t.keys("F8")
        t.wait(lambda: subprocess.run(["tmux", "-L", t.socket, "has-session", "-t", "gw"],
                                      capture_output=True).returncode != 0, "Emacs to quit", timeout=30)
    finally:
        t.close()

    # The counts outlive the session: `ghostwright stats` shows them.
    env = {**os.environ, "XDG_DATA_HOME": str(t.data)}
    run = subprocess.run([sys.executable, "-m", "ghostwright", "stats", "--json"], env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = json.loads(run.stdout)["rows"]
    totals = {f: sum(r[f] for r in rows) for f in ("shown", "accepted", "partial", "dismissed", "typedThrough",
                                                     "acceptedChars", "retainedCharsSecond")}
    assert totals == {"shown": 4, "accepted": 1, "partial": 1, "dismissed": 1, "typedThrough": 1,
                      "acceptedChars": len(ANSWER) + len("return"), "retainedCharsSecond": 0}
    text = subprocess.run([sys.executable, "-m", "ghostwright", "stats"], env=env, capture_output=True,
                          text=True).stdout
    assert "python" in text and "scripted" in text, text
    # Counts only: neither the text typed into the buffer nor the file's name is in the file.
    (data,) = (t.data / "ghostwright").glob("usage-stats.json")
    raw = data.read_text()
    for secret in (MARKER, "area_secret_name", str(tmp_path), "return"):
        assert secret not in raw, f"{secret!r} is in {data}"
