"""Argo's ``when`` and ``depends`` expressions, as the local runner evaluates them."""

from __future__ import annotations

import pytest

from registry.local.conditions import ExpressionError, depends_met, depends_names, evaluate_when


@pytest.mark.parametrize("text, expected", [
    ("5 < 10", True),
    ("48 > 10 && 48 < 50", True),
    ("50 > 10 && 50 < 50", False),
    ("'heads' == 'heads'", True),
    ("heads == heads", True),            # bare words are text, as in Argo's coinflip example
    ("tails != 'heads'", True),
    ("!(1 == 1) || 2 >= 2", True),
    ("1.0 == 1", True),
    ("'1' == 1", True),                   # text against number compares as text
    ("true == true && false != true", True),
    ("-3 < -2", True),
])
def test_when(text: str, expected: bool) -> None:
    assert evaluate_when(text) is expected


@pytest.mark.parametrize("text", ["5 <", "(1 == 1", "1 == 1 1", "'a' < 'b'", "5 $ 3"])
def test_when_errors_name_the_expression(text: str) -> None:
    with pytest.raises(ExpressionError, match="expression|compares|cannot read"):
        evaluate_when(text)


def test_depends() -> None:
    results = {"a": "Succeeded", "b": "Failed", "c": "Skipped"}
    assert depends_met("a && c", results)
    assert not depends_met("a && b", results)
    assert depends_met("a && b.Failed", results)
    assert depends_met("b.Completed && (c || b)", results)
    assert not depends_met("!a", results)
    assert depends_names("a && (b.Failed || c)") == {"a", "b", "c"}
    with pytest.raises(ExpressionError, match="unknown task 'd'"):
        depends_met("d", results)
