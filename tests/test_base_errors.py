"""Suggestions and name lists stay bounded however many names a file declares."""

from __future__ import annotations

from registry import errors
from registry.errors import MAX_LISTED, did_you_mean, one_of


def test_did_you_mean_finds_the_close_name_among_many() -> None:
    names = [f"param_{i:04d}_{kind}" for i in range(3000) for kind in ("alpha",)]
    assert did_you_mean("param_1234_alpzz", names) == " (did you mean 'param_1234_alpha'?)"
    assert did_you_mean("imgae", ["image", "command", "args"]) == " (did you mean 'image'?)"
    assert did_you_mean("zzzz", names) == ""


def test_suggestion_work_is_bounded_per_process(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    names = [f"name_{i:05d}" for i in range(20_000)]
    monkeypatch.setattr(errors, "_spent", 0)
    monkeypatch.setattr(errors, "_scanned", 0)
    found = [did_you_mean(f"name_{i:05d}x", names) for i in range(0, 20_000, 4)]  # 5,000 misspellings
    assert found[0] == " (did you mean 'name_00000'?)"
    assert errors._spent <= errors.SUGGESTION_BUDGET and errors._scanned <= errors.SCAN_BUDGET + len(names)
    assert found[-1] == ""  # the budget ran out: later mistakes get no suggestion, and no more work


def test_a_long_list_of_names_is_cut_with_a_count() -> None:
    text = one_of([f"n{i}" for i in range(1500)])
    assert text.endswith(f" and {1500 - MAX_LISTED} more") and text.count("'") == 2 * MAX_LISTED
    assert one_of(["a", "b"]) == "'a', 'b'" and one_of([]) == "(none)"
