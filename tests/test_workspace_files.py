"""The workspace files context may read: under the folders only, no symlink out, no secrets, .gitignore obeyed."""

import os
from pathlib import Path

import pytest

from ghostwright.trust.workspace_files import Limits, Workspace, is_secret

MARKER = "SECRET-MARKER-7f3a9c"


def tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def listed(ws: Workspace) -> list[str]:
    return [ws.relative(p) for p in ws.files()]


@pytest.mark.parametrize("name", [".env", ".env.local", ".envrc", "server.pem", "tls.key", "id_rsa",
                                  "id_ed25519.pub", "cert.p12", "credentials", "credentials.json",
                                  ".git-credentials", ".netrc", ".npmrc", ".pypirc", "secrets.yaml"])
def test_secret_looking_names_are_never_listed_nor_read(tmp_path, name):
    root = tree(tmp_path / "ws", {name: MARKER, "main.py": "import util\n"})
    ws = Workspace([root])
    assert is_secret(name)
    assert listed(ws) == ["main.py"]
    assert ws.read(root / name) is None


def test_ordinary_source_names_are_not_secrets():
    for name in ("main.py", "keys.py", "environment.js", "credentials_form.go", "tokenizer.rs", "config.toml"):
        assert not is_secret(name), name


def test_a_symlink_to_a_secret_is_refused_by_its_target_name(tmp_path):
    root = tree(tmp_path / "ws", {".env": MARKER})
    (root / "notes.txt").symlink_to(root / ".env")
    ws = Workspace([root])
    assert ws.read(root / "notes.txt") is None
    assert listed(ws) == []


def test_nothing_outside_the_folders_is_read(tmp_path):
    outside = tree(tmp_path / "outside", {"private.py": MARKER})
    root = tree(tmp_path / "ws", {"a.py": "x = 1\n"})
    (root / "link.py").symlink_to(outside / "private.py")
    (root / "linkdir").symlink_to(outside, target_is_directory=True)
    ws = Workspace([root])
    assert listed(ws) == ["a.py"]
    for path in (root / "link.py", root / "linkdir" / "private.py", root / ".." / "outside" / "private.py",
                 outside / "private.py", Path("/etc/passwd")):
        assert ws.read(path) is None, path
        assert not ws.allows(path), path


def test_a_symlink_inside_the_folder_is_read_once_through_its_target(tmp_path):
    root = tree(tmp_path / "ws", {"lib/util.py": "def f(): pass\n"})
    (root / "alias.py").symlink_to(root / "lib" / "util.py")
    ws = Workspace([root])
    assert ws.read(root / "alias.py") == "def f(): pass\n"
    assert listed(ws) == ["alias.py", "lib/util.py"]


def test_gitignore_is_obeyed_nested_and_negated(tmp_path):
    root = tree(tmp_path / "ws", {
        ".gitignore": "build/\n*.log\n!keep.log\n",
        "build/out.py": MARKER, "a.log": MARKER, "keep.log": "kept\n", "src/a.py": "a\n",
        "src/.gitignore": "generated_*.py\n", "src/generated_x.py": MARKER, "other/generated_y.py": "y\n",
    })
    ws = Workspace([root])
    assert listed(ws) == [".gitignore", "keep.log", "other/generated_y.py", "src/.gitignore", "src/a.py"]
    assert ws.read(root / "build" / "out.py") is None
    assert ws.read(root / "src" / "generated_x.py") is None


def test_git_internals_and_key_folders_are_not_entered(tmp_path):
    root = tree(tmp_path / "ws", {".git/config": MARKER, ".ssh/config": MARKER, "a.py": "a\n"})
    ws = Workspace([root])
    assert listed(ws) == ["a.py"]
    assert ws.read(root / ".ssh" / "config") is None


def test_limits_and_exclusions(tmp_path):
    root = tree(tmp_path / "ws", {"big.py": "x" * 2000, "small.py": "s\n", "vendor/v.py": "v\n",
                                  "bin.py": "a\0b", "latin.py": ""})
    (root / "latin.py").write_bytes(b"caf\xe9\n")
    ws = Workspace([root], Limits(max_file_bytes=1000, exclude=("vendor/",)))
    assert ws.read(root / "big.py") is None
    assert ws.read(root / "bin.py") is None
    assert ws.read(root / "latin.py") is None
    assert ws.read(root / "vendor" / "v.py") is None
    assert ws.read(root / "small.py") == "s\n"
    many = tree(tmp_path / "many", {f"f{i:02}.py": "" for i in range(20)})
    assert len(list(Workspace([many], Limits(max_files=5)).files())) == 5


def test_a_fifo_is_never_opened(tmp_path):
    root = tree(tmp_path / "ws", {"a.py": "a\n"})
    os.mkfifo(root / "pipe.py")
    ws = Workspace([root])
    assert listed(ws) == ["a.py"]
    assert ws.read(root / "pipe.py") is None  # returns at once instead of blocking on the open


def test_several_folders_in_order_and_suffix_filter(tmp_path):
    one = tree(tmp_path / "one", {"a.py": "", "b.js": ""})
    two = tree(tmp_path / "two", {"c.py": ""})
    ws = Workspace([one, two])
    assert [p.name for p in ws.files(suffixes=(".py",))] == ["a.py", "c.py"]
    assert ws.folder_of(two / "c.py") == two
