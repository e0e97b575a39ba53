"""LSP base-protocol framing, bytes in and message bodies out, bounded and able to resynchronise."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A header block is one or two short lines (Content-Length, at most a Content-Type): anything
# this long is not a header, and waiting for its end would buffer without bound.
MAX_HEADER_BYTES = 8 * 1024
# The largest body read: a didOpen of a document far over any sensible completion.maxDocumentBytes,
# JSON-escaped. A bigger declared length is refused before a byte of it is buffered.
MAX_BODY_BYTES = 256 * 1024 * 1024

_START = re.compile(rb"content-length[ \t]*:", re.IGNORECASE)
_FIELD = re.compile(rb"([!#-'*+.0-9A-Z^-z|~-]+)[ \t]*:[ \t]*([^\r\n]*?)[ \t]*")
_LENGTH_PREFIX = b"content-length:"


@dataclass(frozen=True)
class Junk:
    """Bytes that were not a well-formed message, skipped up to the next header."""

    size: int
    reason: str


class Framer:
    """Splits a byte stream into message bodies. A malformed header, an oversized one or an
    oversized declared length is reported as Junk, and reading resumes at the next
    `Content-Length` header, so one bad frame costs that frame and no more."""

    def __init__(self, max_header: int = MAX_HEADER_BYTES, max_body: int = MAX_BODY_BYTES) -> None:
        self._buf = bytearray()
        self._need: int | None = None  # the body length being read, None while in a header
        self.max_header = max_header
        self.max_body = max_body

    def feed(self, data: bytes) -> None:
        self._buf += data

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def push_back(self, data: bytes) -> None:
        """Bytes a body turned out not to own (its length was too large): read them as a header."""
        self._buf[:0] = data

    def next(self) -> bytes | Junk | None:
        """The next complete body or skipped piece, or None until more bytes come."""
        buf = self._buf
        if self._need is not None:
            if len(buf) < self._need:
                return None
            body = bytes(buf[:self._need])
            del buf[:self._need]
            self._need = None
            return body
        end = buf.find(b"\r\n\r\n", 0, self.max_header + 4)
        if end == -1:
            if len(buf) <= self.max_header:
                return None
            return self._skip(f"no end of header within {self.max_header} bytes")
        length, why = _content_length(bytes(buf[:end]))
        if why:
            return self._skip(why)
        if length > self.max_body:
            return self._skip(f"Content-Length {length} is over the {self.max_body}-byte limit")
        del buf[:end + 4]
        self._need = length
        return self.next() if length <= len(buf) else None

    def _skip(self, reason: str) -> Junk:
        """Drop bytes up to the next `Content-Length` header after the first byte (or all but a
        tail that may be the start of one)."""
        buf = self._buf
        m = _START.search(buf, 1)
        if m is not None:
            size = m.start()
        else:
            size = max(1, len(buf) - len(_LENGTH_PREFIX))
            tail = bytes(buf[size:]).lower()
            # Keep only a tail that could still grow into a header's start.
            while tail and not _LENGTH_PREFIX.startswith(tail):
                size += 1
                tail = tail[1:]
        del buf[:size]
        return Junk(size, reason)


def _content_length(block: bytes) -> tuple[int, str]:
    """The declared body length of a header block, or why there is none."""
    length = None
    for line in block.split(b"\r\n"):
        m = _FIELD.fullmatch(line)
        if m is None:
            return 0, f"not a header line: {line[:60]!r}"
        if m.group(1).lower() == b"content-length":
            if not m.group(2).isdigit() or len(m.group(2)) > 15:
                return 0, f"bad Content-Length {m.group(2)[:30]!r}"
            length = int(m.group(2))
    if length is None:
        return 0, "a header without Content-Length"
    return length, ""


def looks_like_header_start(data: bytes) -> bool:
    """`data` (after whitespace) begins a header: the bytes a too-large Content-Length took from
    the next message."""
    head = data.lstrip()[:8].lower()
    return bool(head) and b"content-".startswith(head)


def header_in(data: bytes) -> int | None:
    """Where the first `Content-Length` header in `data` starts, if any."""
    m = _START.search(data)
    return None if m is None else m.start()
