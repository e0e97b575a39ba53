"""The editor's process (initialize's processId) watched, so the server never outlives it."""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Callable

log = logging.getLogger(__name__)

# Without a pidfd, how often the editor's process is looked for: one syscall, so a few seconds
# costs nothing, and a server left behind is gone soon after its editor.
POLL_S = 2.0


def alive(pid: int) -> bool:
    """The process exists (one owned by another user counts: signalling it is refused, not absent)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def watch(pid: int | None, on_gone: Callable[[], None], poll_s: float = POLL_S) -> asyncio.Task | None:
    """Call `on_gone` once `pid` has ended; None when there is nothing to watch.

    A processId that is not a live process here (an editor on the host of a container the server
    runs in, or no id at all) is not watched: exiting on it would end every such session at once."""
    if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0 or pid == os.getpid():
        return None
    if not alive(pid):
        log.info("processId %d is no process here; not watching it", pid)
        return None
    return asyncio.create_task(_wait(pid, on_gone, poll_s), name=f"watch-editor-{pid}")


async def _wait(pid: int, on_gone: Callable[[], None], poll_s: float) -> None:
    try:
        fd = os.pidfd_open(pid)  # Linux 5.3+: readable the moment the process ends
    except (AttributeError, OSError):
        fd = None
    if fd is not None:
        loop = asyncio.get_running_loop()
        ended = loop.create_future()
        loop.add_reader(fd, lambda: ended.done() or ended.set_result(None))
        try:
            await ended
        finally:
            loop.remove_reader(fd)
            os.close(fd)
    else:
        while alive(pid):
            await asyncio.sleep(poll_s)
    log.warning("the editor (process %d) is gone; exiting", pid)
    on_gone()
