"""Open only regular files: a FIFO, socket or device is refused by its type before it is opened."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO


class NotRegularFileError(OSError):
    """A path that should hold data names a FIFO, socket, device or directory instead."""


def kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISDIR, "a directory")):
        if test(mode):
            return name
    return "not a regular file"


def _refusal(path: Path, mode: int) -> NotRegularFileError:
    return NotRegularFileError(f"{path} is {kind_of(mode)}, not a regular file: ghostwright reads only "
                               "regular files (reading a FIFO or a device can block for ever)")


def check(path: Path) -> None:
    """Raise NotRegularFileError unless `path` (after symlinks) is a regular file; OSError if absent."""
    mode = os.stat(path).st_mode
    if not stat.S_ISREG(mode):
        raise _refusal(path, mode)


def open_binary(path: Path) -> BinaryIO:
    """`path` opened for reading, only if it is a regular file.

    The type is checked before the open (opening a FIFO blocks until a writer comes) and again
    on the open descriptor (O_NONBLOCK makes that open return at once), so a file swapped for a
    FIFO in between is refused too.
    """
    check(path)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refusal(path, mode)
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: Path, limit: int | None = None) -> bytes:
    with open_binary(path) as f:
        return f.read() if limit is None else f.read(limit)


def read_text(path: Path, limit: int | None = None) -> str:
    return read_bytes(path, limit).decode("utf-8", "replace")


def special_entries(folder: Path) -> list[str]:
    """Entries of `folder` that are neither regular files nor folders (after symlinks), described."""
    found: list[str] = []
    for entry in sorted(folder.iterdir()):
        try:
            mode = os.stat(entry).st_mode
        except OSError:
            continue  # a dangling symlink: nothing to open
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            found.append(f"{entry.name} is {kind_of(mode)}")
    return found
