"""Reuse without the model: the prompt cache (LRU) and typed-ahead continuation of a suggestion."""

from __future__ import annotations

from pathlib import Path

from ghostwright.context import cursor as context
from ghostwright.models import store as model_store
from ghostwright.engine.cache import PromptCache
from ghostwright.config import ContextConfig
from ghostwright.text.documents import Document
from ghostwright.engine.typeahead import Anchor, continuation, typed_since

STOPS = ("<|endoftext|>",)


def ctx_at(text: str, marker: str = "|"):
    offset = text.index(marker)
    doc = Document("file:///t.py", text.replace(marker, "", 1), language_id="python")
    return doc, offset, context.build(doc, offset, ContextConfig())


def test_cache_returns_what_was_put_and_evicts_the_least_recently_used():
    cache = PromptCache(capacity=2)
    cache.put(("a",), "1")
    cache.put(("b",), "2")
    assert cache.get(("a",)) == "1"  # a is now the most recent
    cache.put(("c",), "3")
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) == "1" and cache.get(("c",)) == "3"
    assert (cache.hits, cache.misses) == (3, 1)


def test_cache_keys_are_exact():
    cache = PromptCache()
    cache.put(("def f(", 64, 0.0), "x)")
    assert cache.get(("def f( ", 64, 0.0)) is None
    assert cache.get(("def f(", 32, 0.0)) is None


def test_cache_of_size_zero_keeps_nothing():
    cache = PromptCache(capacity=0)
    cache.put(("a",), "1")
    assert cache.get(("a",)) is None and len(cache) == 0


def test_typed_since_sees_only_typing_at_the_anchor():
    anchor = Anchor.at("def f(x):\n    return \n", 21)
    assert typed_since(anchor, "def f(x):\n    return x\n", 22) == "x"
    assert typed_since(anchor, "def f(x):\n    return \n", 21) == ""
    assert typed_since(anchor, "def g(x):\n    return x\n", 22) is None  # an edit elsewhere
    assert typed_since(anchor, "def f(x):\n    return x\n", 21) is None  # cursor not after the typing
    assert typed_since(anchor, "def f(x):\n    retur\n", 20) is None  # a backspace past the anchor


def test_typing_through_a_suggestion_shows_the_rest():
    _doc, _o, ctx = ctx_at("def area(r):\n    return |\n")
    v = continuation("3.14159 * r * r\n<|endoftext|>", ctx, STOPS, "3.1", None, finished=True)
    assert (v.state, v.text, v.done) == ("show", "4159 * r * r", True)


def test_typing_something_else_is_a_miss():
    _doc, _o, ctx = ctx_at("def area(r):\n    return |\n")
    assert continuation("3.14159 * r * r", ctx, STOPS, "ma", None, finished=True).state == "miss"


def test_typing_ahead_of_the_stream_waits_while_it_still_matches():
    _doc, _o, ctx = ctx_at("def area(r):\n    return |\n")
    assert continuation("3.1", ctx, STOPS, "3.14", None, finished=False).state == "wait"
    assert continuation("3.1", ctx, STOPS, "3.2", None, finished=False).state == "miss"
    assert continuation("3.1", ctx, STOPS, "3.14", None, finished=True).state == "miss"


def test_a_streaming_rest_is_not_done_until_the_generation_is():
    _doc, _o, ctx = ctx_at("def area(r):\n    return |\n")
    v = continuation("3.14159 * r", ctx, STOPS, "3.", None, finished=False)
    assert (v.state, v.text, v.done) == ("show", "14159 * r", False)


def test_after_accepting_a_line_and_enter_the_next_line_comes_from_the_same_generation():
    doc, offset, ctx0 = ctx_at("def area(r):\n    pi = |\n")
    raw = "3.14159\n    return pi * r * r\n\n"
    first = continuation(raw, ctx0, STOPS, "", None, finished=True)
    assert first.text == "3.14159"  # single line at the cursor
    typed = "3.14159\n    "
    _d, _o, ctx_now = ctx_at("def area(r):\n    pi = " + typed + "|\n")
    v = continuation(raw, ctx0, STOPS, typed, ctx_now, finished=True)
    assert (v.state, v.text) == ("show", "return pi * r * r")


def test_a_completion_typed_to_its_end_is_a_miss_so_the_model_is_asked_again():
    _doc, _o, ctx = ctx_at("x = foo(|)\n")
    raw = "a, b)"
    assert continuation(raw, ctx, STOPS, "", None, True).text == "a, b"
    assert continuation(raw, ctx, STOPS, "a, b", None, True).state == "miss"


def test_the_last_sessions_counters_are_kept_for_doctor(tmp_path, monkeypatch):
    from ghostwright.engine import session_stats

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    backend = {"backend": "openvino", "requests": 12, "cancellations": 5, "cacheHits": 2, "typeaheadHits": 3,
               "tokensGenerated": 300, "tokensDiscarded": 40, "ttftMs": {"p50": 81.0, "p95": 240.0},
               "tokensPerSecond": {"p50": 38.2}}
    session_stats.save([backend], force=True)
    line = session_stats.summary(session_stats.load()["backends"][0])
    assert line == ("openvino: 12 model calls, 5 cancelled, 2 cache + 3 typed-ahead hits, 300 tokens"
                    " (40 thrown away), TTFT p50 81 ms p95 240 ms, 38 tokens/s")


def test_test_servers_keep_their_statistics_out_of_the_users_cache():
    """conftest points XDG_CACHE_HOME at a temporary folder; the model is still found where it is installed."""
    from ghostwright import paths
    from ghostwright.engine import session_stats

    home_cache = Path.home() / ".cache"
    assert home_cache not in session_stats.stats_file().parents
    if (home_cache / "ghostwright" / "models" / model_store.EMBEDDED.name).is_dir():
        assert model_store.is_installed()
    assert paths.models_dir() != paths.cache_dir() / "models"
