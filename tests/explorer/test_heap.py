"""The app's garbage collection policy: freeze after new imports, a full collection now and then."""

from __future__ import annotations

import sys
import types

import pytest

from explorer import heap


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record gc.collect and gc.freeze instead of running them (the test process stays unfrozen)."""
    made: list[str] = []

    def collect(*_: object) -> int:
        made.append("collect")
        return 0

    monkeypatch.setattr(heap.gc, "collect", collect)
    monkeypatch.setattr(heap.gc, "freeze", lambda: made.append("freeze"))
    monkeypatch.setattr(heap, "_modules_frozen", 0)
    monkeypatch.setattr(heap, "_last_collect", 0.0)
    return made


def test_freezes_once_per_new_imports(calls: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    assert heap.freeze_imports()
    assert calls == ["collect", "freeze"]  # garbage is collected before the survivors are frozen
    assert not heap.freeze_imports()
    assert calls == ["collect", "freeze"]
    monkeypatch.setitem(sys.modules, "explorer_heap_test_module", types.ModuleType("m"))
    assert heap.freeze_imports()
    assert calls == ["collect", "freeze"] * 2


def test_full_collection_at_most_every_few_seconds(calls: list[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr(heap.time, "monotonic", lambda: clock[0])
    heap.after_run()  # first run of the process: the imports are frozen
    assert calls == ["collect", "freeze"]
    clock[0] += heap.COLLECT_EVERY_SECONDS / 2
    for _ in range(10):  # no new module, and the freeze's collection was moments ago
        heap.after_run()
    assert calls == ["collect", "freeze"]
    clock[0] += heap.COLLECT_EVERY_SECONDS
    heap.after_run()
    heap.after_run()
    assert calls == ["collect", "freeze", "collect"]
