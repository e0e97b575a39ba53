"""The workspace's files, read safely: only under its folders, no symlink out, never secrets nor what .gitignore excludes."""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pathspec

from ghostwright.trust import regular_files

# A file whose name matches one of these is never read, whatever the configuration says: a
# prompt is text the model sees, and a key that reaches it can reach a log or a remote backend.
SECRET_NAMES = (
    ".env*", "*.pem", "*.key", "id_*", "*.p12", "*.pfx", "*.jks", "*.keystore", "*.kdbx",
    "credentials", "credentials.*", "*.credentials", ".git-credentials", ".netrc", "_netrc",
    ".pgpass", ".pypirc", ".npmrc", ".htpasswd", "secrets.*", "*.secret", "*.secrets",
)
# Folders never entered: version-control internals and the usual homes of keys and tokens.
SKIPPED_FOLDERS = frozenset({".git", ".hg", ".svn", ".ssh", ".gnupg", ".aws", ".azure", ".kube", ".docker"})


def is_secret(name: str) -> bool:
    """Whether a file name looks like it holds a secret (keys, tokens, credentials)."""
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in SECRET_NAMES)


@dataclass(frozen=True)
class Limits:
    """How much of a workspace may be read."""

    max_file_bytes: int = 256 * 1024
    max_files: int = 5000
    exclude: tuple[str, ...] = ()  # globs over the path relative to its folder, as in .gitignore


class Workspace:
    """The files of one or more workspace folders that ghostwright may read.

    A path is allowed when, after every symlink is resolved, it lies under one of the folders, and
    neither its name nor its target's name looks secret, and no `.gitignore` between its folder
    and it (nor `.git/info/exclude`, nor `Limits.exclude`) excludes it or a folder above it.
    """

    def __init__(self, folders: Iterable[Path], limits: Limits = Limits()):
        self.folders = tuple(dict.fromkeys(Path(os.path.abspath(f)) for f in folders))
        self._real = tuple(Path(os.path.realpath(f)) for f in self.folders)
        self.limits = limits
        self._excluded = pathspec.GitIgnoreSpec.from_lines(limits.exclude)
        self._specs: dict[Path, pathspec.GitIgnoreSpec | None] = {}

    # --- where a path belongs ---
    def folder_of(self, path: Path) -> Path | None:
        """The workspace folder holding `path` (lexically and after symlinks), or None."""
        lexical = Path(os.path.abspath(path))
        real = Path(os.path.realpath(lexical))
        for folder, real_folder in zip(self.folders, self._real):
            if (lexical.is_relative_to(folder) or lexical.is_relative_to(real_folder)) \
                    and real.is_relative_to(real_folder):
                return folder
        return None

    def relative(self, path: Path) -> str:
        """`path` relative to its workspace folder, with `/` separators (as a prompt shows it)."""
        folder = self.folder_of(path)
        lexical = Path(os.path.abspath(path))
        if folder is None:
            return lexical.name
        base = folder if lexical.is_relative_to(folder) else self._real[self.folders.index(folder)]
        return lexical.relative_to(base).as_posix()

    def allows(self, path: Path) -> bool:
        """Whether `path` may be read at all (see the class docstring); it need not exist."""
        folder = self.folder_of(path)
        if folder is None:
            return False
        lexical = Path(os.path.abspath(path))
        real = Path(os.path.realpath(lexical))
        if is_secret(lexical.name) or is_secret(real.name):
            return False
        relative = Path(self.relative(lexical))
        parts = relative.parts
        if any(part in SKIPPED_FOLDERS for part in parts[:-1]):
            return False
        base = self._base(folder, lexical)
        for depth in range(len(parts)):
            is_dir = depth < len(parts) - 1
            if self._ignored(base, Path(*parts[:depth + 1]), is_dir):
                return False
        return True

    # --- reading ---
    def read(self, path: Path) -> str | None:
        """The text of `path`, or None if it is not allowed, not a regular file, too big or not UTF-8 text."""
        if not self.allows(path):
            return None
        real = Path(os.path.realpath(path))
        try:
            data = regular_files.read_bytes(real, self.limits.max_file_bytes + 1)
        except OSError:
            return None
        if len(data) > self.limits.max_file_bytes or b"\0" in data:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def files(self, suffixes: Sequence[str] | None = None) -> Iterator[Path]:
        """Every allowed regular file of every folder, in a stable order, up to `Limits.max_files`.

        Symlinked folders are not entered (no cycles, no way out); a symlinked file is listed only
        when its target lies under the same folders. `suffixes` keeps only names ending so.
        """
        count = 0
        for folder in self.folders:
            for path in self._walk(folder, folder):
                if suffixes is not None and not path.name.endswith(tuple(suffixes)):
                    continue
                if count >= self.limits.max_files:
                    return
                count += 1
                yield path

    def _walk(self, folder: Path, directory: Path) -> Iterator[Path]:
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError:
            return
        for entry in entries:
            path = Path(entry.path)
            try:
                if entry.is_symlink():
                    if entry.is_dir():
                        continue
                elif entry.is_dir():
                    if entry.name in SKIPPED_FOLDERS:
                        continue
                    if not self._ignored(folder, path.relative_to(folder), True):
                        yield from self._walk(folder, path)
                    continue
                if not stat.S_ISREG(os.stat(path).st_mode):
                    continue
            except OSError:
                continue
            if self.allows(path):
                yield path

    # --- .gitignore ---
    def _base(self, folder: Path, lexical: Path) -> Path:
        return folder if lexical.is_relative_to(folder) else self._real[self.folders.index(folder)]

    def _spec(self, directory: Path) -> pathspec.GitIgnoreSpec | None:
        if directory not in self._specs:
            lines: list[str] = []
            for name in (".gitignore", ".git/info/exclude"):
                candidate = directory / name
                if name.startswith(".git/") and not (directory / ".git").is_dir():
                    continue
                try:
                    if candidate.is_file() and not candidate.is_symlink():
                        lines += regular_files.read_text(candidate, 1 << 20).splitlines()
                except OSError:
                    pass
            self._specs[directory] = pathspec.GitIgnoreSpec.from_lines(lines) if lines else None
        return self._specs[directory]

    def _ignored(self, folder: Path, relative: Path, is_dir: bool) -> bool:
        """Whether `relative` (under `folder`) is excluded by the limits or by a .gitignore above it."""
        text = relative.as_posix() + ("/" if is_dir else "")
        if self._excluded.match_file(text):
            return True
        # Each .gitignore speaks of paths relative to its own folder; the deepest one decides
        # among those that say anything, as git does.
        verdict = False
        for depth in range(len(relative.parts)):
            spec = self._spec(folder.joinpath(*relative.parts[:depth]))
            if spec is None:
                continue
            below = Path(*relative.parts[depth:]).as_posix() + ("/" if is_dir else "")
            result = spec.check_file(below)
            if result.include is not None:
                verdict = result.include
        return verdict
