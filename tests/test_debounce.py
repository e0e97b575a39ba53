"""The adaptive debounce, on a clock the test moves: delimiters ask sooner, fast typing waits longer."""

from __future__ import annotations

import pytest

from ghostwright.engine.scheduler import Rhythm, delay_seconds, wait_seconds

BASE, LO, HI = 200, 150, 300


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Debouncer:
    """The rhythm of each document, as the engine keeps one in each document's record."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.rhythms: dict[str, Rhythm] = {}

    def changed(self, uri: str) -> None:
        self.rhythms.setdefault(uri, Rhythm()).record(self.clock())

    def delay_seconds(self, uri: str, *args) -> float:
        return delay_seconds(self.rhythms.get(uri) or Rhythm(), *args)

    def wait_seconds(self, uri: str, *args) -> float:
        return wait_seconds(self.rhythms.get(uri) or Rhythm(), self.clock(), *args)


def typed(debouncer: Debouncer, clock: Clock, gaps_ms: list[float], uri: str = "file:///a.py") -> None:
    for gap in gaps_ms:
        clock.now += gap / 1000
        debouncer.changed(uri)


def wait_ms(debouncer: Debouncer, char: str, invoked: bool = False, uri: str = "file:///a.py") -> float:
    """The debounce chosen for a request sent right after the last change."""
    return debouncer.delay_seconds(uri, char, invoked, BASE, LO, HI) * 1000


@pytest.fixture
def clocked():
    clock = Clock()
    return Debouncer(clock=clock), clock


def test_an_invoked_request_never_waits(clocked):
    d, clock = clocked
    typed(d, clock, [100] * 8)
    assert wait_ms(d, "x", invoked=True) == 0


def test_debounce_zero_turns_it_off(clocked):
    d, clock = clocked
    typed(d, clock, [100] * 8)
    assert d.wait_seconds("file:///a.py", "x", False, 0, LO, HI) == 0


def test_always_within_the_configured_range(clocked):
    d, clock = clocked
    for gaps in ([], [40] * 10, [90] * 10, [250] * 10, [2000, 80, 80], [500] * 10):
        for char in ("(", ".", "\n", "a", "_", " ", "+"):
            d2 = Debouncer(clock=clock)
            typed(d2, clock, gaps)
            assert LO <= wait_ms(d2, char) <= HI, (gaps, char)


def test_a_delimiter_asks_sooner_than_mid_word(clocked):
    d, clock = clocked
    typed(d, clock, [100] * 8)
    for delimiter in "(.:,\n":
        assert wait_ms(d, delimiter) < wait_ms(d, "a")
    assert wait_ms(d, "(") <= 175


def test_fast_typing_waits_longer_than_slow_typing_mid_word(clocked):
    fast, clock = clocked
    typed(fast, clock, [70] * 10)
    slow = Debouncer(clock=clock)
    typed(slow, clock, [2000, 200, 180, 220])
    assert wait_ms(fast, "a") > wait_ms(slow, "e") >= BASE
    assert wait_ms(fast, "a") == pytest.approx(HI, abs=5)


def test_a_pause_resets_the_rhythm(clocked):
    d, clock = clocked
    typed(d, clock, [70] * 10)
    busy = wait_ms(d, " ")
    typed(d, clock, [1500])  # one key after a long pause: the burst is over
    assert wait_ms(d, " ") < busy


def test_the_wait_counts_from_the_last_change_not_from_the_request(clocked):
    d, clock = clocked
    typed(d, clock, [100] * 5)
    full = d.wait_seconds("file:///a.py", "(", False, BASE, LO, HI)
    assert full == pytest.approx(d.delay_seconds("file:///a.py", "(", False, BASE, LO, HI))
    clock.now += 0.1  # the editor's own idle timer already waited 100 ms
    assert d.wait_seconds("file:///a.py", "(", False, BASE, LO, HI) == pytest.approx(full - 0.1)
    clock.now += 1.0
    assert d.wait_seconds("file:///a.py", "(", False, BASE, LO, HI) == 0


def test_a_slow_steady_typist_is_not_asked_at_every_key(clocked):
    d, clock = clocked
    typed(d, clock, [240] * 10)  # 4 keys a second: a debounce under 240 ms would fire on every key
    assert wait_ms(d, "a") > 240


def test_documents_have_their_own_rhythm(clocked):
    d, clock = clocked
    typed(d, clock, [70] * 10, uri="file:///fast.py")
    clock.now += 5
    d.changed("file:///calm.py")
    assert wait_ms(d, "a", uri="file:///calm.py") < wait_ms(d, "a", uri="file:///fast.py")
