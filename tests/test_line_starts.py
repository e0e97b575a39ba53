"""Line starts patched on each edit stay identical to the ones counted from scratch."""

from __future__ import annotations

import random

from ghostwright.text.documents import UTF32, Document


def test_patched_line_starts_match_a_recount_over_random_edits():
    rng = random.Random(7)
    doc = Document("file:///t.py", "def f(x):\n    return x\n\nprint(f(1))\n")
    pieces = ["", "a", "\n", "ab\ncd", "\n\n", "    ", "é\n", "x\ny\nz"]
    for _ in range(500):
        doc.line_starts  # the cache is live, so the edit patches it
        n = len(doc.text)
        a, b = sorted(rng.randint(0, n) for _ in range(2))
        start, end = doc.position_at(a, UTF32), doc.position_at(b, UTF32)
        doc.apply_change(start, end, rng.choice(pieces), UTF32)
        patched = list(doc.line_starts)
        doc._line_starts = None
        assert patched == doc.line_starts
