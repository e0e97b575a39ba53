"""The counts of a file's names kept from one version of its text to the next equal a count afresh."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from hypothesis import given, settings, strategies as st

from ghostwright.context import definitions

TEXT = (Path(__file__).parents[1] / "bench" / "data" / "real" / "python" / "requests-2.32.3" / "sessions.py").read_text(
    encoding="utf-8")
# Edits that make, split, join and end names: letters, the characters a name may hold, line breaks.
PIECES = st.text(alphabet="ab_$-9 \n(.x", max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(0, 1), st.integers(0, 40), PIECES), min_size=1, max_size=8))
def test_counts_kept_through_edits_equal_a_count_afresh(edits):
    text = TEXT
    definitions.identifier_counts("/w/sessions.py", text)
    for where, removed, inserted in edits:
        at = int(where * len(text))
        text = text[:at] + inserted + text[at + removed:]
        assert definitions.identifier_counts("/w/sessions.py", text) == Counter(definitions._IDENT.findall(text))


def test_a_file_replaced_whole_is_counted_afresh():
    definitions.identifier_counts("/w/other.py", TEXT)
    counts = definitions.identifier_counts("/w/other.py", "import os\nos.path\n")
    assert dict(counts) == {"import": 1, "os": 2, "path": 1}
