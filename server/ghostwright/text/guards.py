"""Input the model should never see: documents over the size limit, text that is not valid Unicode."""

from __future__ import annotations

import re

_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8 (a lone surrogate counts as the 3 bytes of its replacement)."""
    n = len(text)
    if text.isascii():
        return n
    return len(text.encode("utf-8", "surrogatepass"))


def over_limit(text: str, limit: int) -> int | None:
    """The document's size in bytes when it is over `limit`, else None (cheap for most documents)."""
    if len(text) * 4 <= limit:
        return None
    size = len(text) if len(text) > limit else utf8_size(text)
    return size if size > limit else None


def scrub(text: str) -> str:
    """`text` with lone surrogates (which no tokenizer can encode) replaced by U+FFFD."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text
