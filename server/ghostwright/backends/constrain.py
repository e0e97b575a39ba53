"""A regular expression for a decoder whose answer must begin with one of given names."""

from __future__ import annotations

import re

# After the name: the end of the answer, or anything that does not go on with the name (`isArrayX`
# would be another name).
_AFTER_NAME = r"(?:[^A-Za-z0-9_$][\s\S]*)?"


def starts_with_name(rests: tuple[str, ...]) -> str:
    """One of `rests` (the rest of a name, "" when what was typed is already one), then no more
    of a name. Built as a trie: OpenVINO GenAI's grammar engine compiles a flat alternation of a
    few hundred names in seconds, the same names sharing their prefixes in milliseconds."""
    trie: dict = {}
    for rest in rests:
        node = trie
        for ch in rest:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _alternatives(trie) + _AFTER_NAME


def _alternatives(node: dict) -> str:
    branches = [re.escape(ch) + _alternatives(rest) for ch, rest in sorted(node.items()) if ch]
    if not branches:
        return ""
    if len(branches) == 1 and "" not in node:
        return branches[0]
    group = "(?:" + "|".join(branches) + ")"
    return group + "?" if "" in node else group
