"""KFP v1's type rules and the text constants become."""

from __future__ import annotations

from registry.pipeline.kfptypes import compatible, constant_fits, serialize


def test_kfp_type_rules() -> None:
    assert compatible("Integer", "int") and compatible(None, "Float") and compatible("Float", None)
    assert not compatible("Float", "Integer")
    assert compatible({"GCSPath": {"data_type": "CSV"}}, {"GCSPath": {"data_type": "CSV"}})
    assert constant_fits(3, "Integer") is None and constant_fits("3.5", "Integer")
    assert constant_fits(True, "Boolean") is None and constant_fits("maybe", "Boolean")


def test_serialize_like_kfp() -> None:
    assert serialize(True) == "True" and serialize(3) == "3"
    assert serialize({"a": [1, 2]}) == '{"a": [1, 2]}'
