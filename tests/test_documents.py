"""The server's copy of a document stays identical to the editor's under any edit sequence."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from ghostwright.text.documents import Document, column_to_index, index_to_column
import reference_edits as ref

ALPHABET = st.sampled_from(list("ab \t\n(){}é中文😀🎉\u200d") + ["\r\n", "𝔘"])
TEXT = st.lists(ALPHABET, max_size=40).map("".join)
ENCODING = st.sampled_from(["utf-16", "utf-8", "utf-32"])


@st.composite
def edit_on(draw, text: str, encoding: str):
    lines = text.split("\n")

    def position():
        line = draw(st.integers(0, len(lines) - 1))
        col = draw(st.sampled_from(ref.boundary_columns(lines[line], encoding)))
        return line, col

    a, b = position(), position()
    return min(a, b), max(a, b), draw(TEXT)


@settings(max_examples=300, deadline=None)
@given(st.data(), TEXT, ENCODING)
def test_incremental_edits_match_the_reference(data, initial, encoding):
    doc = Document("file:///t", initial)
    expected = initial
    for _ in range(data.draw(st.integers(1, 8))):
        start, end, new = data.draw(edit_on(expected, encoding))
        doc.apply_change(start, end, new, encoding)
        expected = ref.apply(expected, start, end, new, encoding)
        assert doc.text == expected


@given(TEXT, ENCODING)
def test_columns_round_trip_on_code_point_boundaries(line, encoding):
    line = line.replace("\n", "")
    for index in range(len(line) + 1):
        assert column_to_index(line, index_to_column(line, index, encoding), encoding) == index


def test_positions_past_the_end_clamp():
    doc = Document("file:///t", "ab\ncd")
    assert doc.offset_at(0, 99, "utf-16") == 2
    assert doc.offset_at(9, 0, "utf-16") == 5
    doc.apply_change((1, 1), (7, 7), "Z", "utf-16")
    assert doc.text == "ab\ncZ"


def test_utf16_offsets_count_surrogate_pairs():
    doc = Document("file:///t", "x😀y")
    assert doc.offset_at(0, 3, "utf-16") == 2  # after the emoji: 1 + 2 code units
    assert doc.position_at(2, "utf-16") == (0, 3)
    assert doc.position_at(2, "utf-8") == (0, 5)
    assert doc.position_at(2, "utf-32") == (0, 2)


def test_changed_documents_are_reparsed_when_settled_not_left_for_the_request():
    from ghostwright.text.documents import DocumentStore

    store = DocumentStore()
    doc = store.open("file:///s.py", "def f():\n    return 1\n", 1, "python")
    doc.apply_change((1, 12), (1, 12), " + 2", "utf-16")
    assert store.changed(doc.uri) is True  # the first change since the last settle schedules one
    assert store.changed(doc.uri) is False
    store.settle()
    assert not doc.syntax._dirty  # the request that follows finds the tree ready
    assert doc.syntax.tree.root_node.text.decode() == "def f():\n    return 1 + 2\n"
    assert store.changed(doc.uri) is True


class _CountingBackend:
    """Tokenizes by words; enough of a backend for building a prompt."""

    def __init__(self) -> None:
        from ghostwright.context import prompts

        self.template = prompts.TEMPLATES["qwen2.5-coder"]

    def count_tokens(self, text: str) -> int:
        return len(text.split())

    def count_tokens_each(self, texts: list[str]) -> list[int]:
        return [self.count_tokens(t) for t in texts]


def test_the_context_where_the_user_just_typed_is_built_before_the_request_and_never_stale():
    from ghostwright.engine.preparation import ahead, take
    from ghostwright.config import Config
    from ghostwright.text.documents import DocumentStore

    store, backend, config = DocumentStore(), _CountingBackend(), Config()
    doc = store.open("file:///a.py", "def area(r):\n    \n", 1, "python")
    doc.apply_change((1, 4), (1, 4), "return", "utf-16")
    doc.version = 2
    built = ahead(doc, doc.last_edit, config, backend)  # between the edit and the request
    got = take(built, doc, doc.last_edit, config, backend, invoked=True)
    assert got.ctx is built.prepared.ctx  # the request did no context work of its own
    assert got.request.invoked and got.request.prompt == built.prepared.request.prompt

    stale = ahead(doc, doc.last_edit, config, backend)
    doc.apply_change((1, 10), (1, 10), " 3.14", "utf-16")  # typed on before the request came
    doc.version = 3
    fresh = take(stale, doc, doc.last_edit, config, backend)
    assert "return 3.14" in fresh.request.prompt
    elsewhere = ahead(doc, doc.last_edit, config, backend)
    assert "return 3.14" in take(elsewhere, doc, 9, config, backend).ctx.suffix  # asked elsewhere: built there


def test_the_files_imports_follow_an_edit_of_them():
    from ghostwright.context import windows
    from ghostwright.text.documents import DocumentStore

    body = "".join(f"def f{i}(a):\n    return a + {i}\n\n\n" for i in range(60))
    store = DocumentStore()
    doc = store.open("file:///i.py", "import os\n\n\n" + body + "x = f1(\n", 1, "python")
    end = len(doc.text) - 1
    words = _CountingBackend().count_tokens
    window, _ = windows.build_windows(doc.text, end, doc.syntax, "python", 40, 8, words)
    assert window.prefix.startswith("import os\n")
    doc.apply_change((0, 7), (0, 9), "sys", "utf-16")
    window, _ = windows.build_windows(doc.text, end + 1, doc.syntax, "python", 40, 8, words)
    assert window.prefix.startswith("import sys\n") and "import os" not in window.prefix


# --- documents over the byte limit: text only, in chunks ---

from ghostwright.text import chunked_text  # noqa: E402
from ghostwright.text.documents import DocumentStore  # noqa: E402

BIG_TEXT = st.lists(ALPHABET, max_size=120).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.data(), BIG_TEXT, ENCODING, st.integers(1, 7))
def test_text_only_documents_match_the_reference_across_the_limit_both_ways(data, initial, encoding, chunk):
    saved, chunked_text.CHUNK = chunked_text.CHUNK, chunk  # tiny chunks: every edit crosses some
    try:
        doc = DocumentStore(max_bytes=60).open("file:///t.py", initial, 0, "python")
        expected = initial
        for _ in range(data.draw(st.integers(1, 10))):
            start, end, new = data.draw(edit_on(expected, encoding))
            if data.draw(st.integers(0, 9)) == 0:
                doc.apply_change(None, None, new * 8, encoding)
                expected = new * 8
            else:
                doc.apply_change(start, end, new, encoding)
                expected = ref.apply(expected, start, end, new, encoding)
            plain = Document("file:///t.py", expected)
            assert doc.text_only == (len(expected.encode("utf-8", "surrogatepass")) > 60)
            assert (doc.syntax is None) == doc.text_only
            assert len(doc) == len(expected) and doc.text == expected
            for line in range(expected.count("\n") + 2):
                for col in (0, 1, 3, 200):
                    assert doc.offset_at(line, col, encoding) == plain.offset_at(line, col, encoding)
            for offset in range(0, len(expected) + 1, 3):
                assert doc.position_at(offset, encoding) == plain.position_at(offset, encoding)
    finally:
        chunked_text.CHUNK = saved


def test_edits_to_a_document_over_the_limit_never_join_parse_or_index_it_whole():
    store = DocumentStore(max_bytes=2 * 1024 * 1024)
    line = "value = compute(alpha, beta) + 1  # a line of code\n"
    doc = store.open("file:///big.py", line * 60_000, 1, "python")  # 3 MB
    assert doc.text_only and doc.syntax is None and doc._text is None
    for i in range(200):
        doc.apply_change((30_000 + i, 4), (30_000 + i, 9), "renamed", "utf-16")
        doc.apply_change((59_000, 0), (59_000, 0), "x", "utf-16")
    store.settle()
    assert doc._text is None and doc._line_starts is None and doc.syntax is None
    assert doc.line_text(30_000) == "valurenamedompute(alpha, beta) + 1  # a line of code"
    # Deleting most of it brings it under the limit: a normal document again, with its tree.
    doc.apply_change((1000, 0), (59_999, 0), "", "utf-16")
    assert not doc.text_only and doc.syntax is not None
    assert doc.text.count("\n") == 1001
    store.close("file:///big.py")
    assert store.get("file:///big.py") is None
