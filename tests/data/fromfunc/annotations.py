"""Every annotation KFP v1's create_component_from_func accepts, one function per kind.

Test data: parsed by creg, never imported (the kfp imports below need not exist).
"""
import typing
from typing import Dict, List, NamedTuple, Optional, Union

from kfp.components import (InputBinaryFile, InputPath, InputTextFile, OutputBinaryFile, OutputPath,
                            OutputTextFile, create_component_from_func, func_to_container_op)

raise SystemExit("annotations.py was executed; from-func must only parse it")

THRESHOLD_DEFAULT = 0.25


def untyped(a, b=3, c=None, d="x"):
    """Adds without annotations."""
    return str(a) + str(b) + str(c) + d


def simple_types(i: int, f: float, s: str, b: bool, l: list, d: dict) -> str:
    """Echoes every simple type.

    Args:
        i: An integer.
        f: A float,
            on two lines.
        s (str): A string with its type.
        b: A boolean.
    """
    import json
    return json.dumps([i, f, s, b, l, d], sort_keys=True)


def defaults(count: int = 5, ratio: float = 0.5, zero: float = 0, name: str = "abc", flag: bool = True,
             items: list = ["a", 1], config: dict = {"z": 1, "a": [True, None]}, nothing: str = None,
             threshold: float = THRESHOLD_DEFAULT, negative: int = -3) -> dict:
    return {"count": count, "ratio": ratio, "zero": zero, "name": name, "flag": flag, "items": items,
            "config": config, "nothing": nothing, "threshold": threshold, "negative": negative}


def optionals(a: Optional[int] = None, b: typing.Optional[str] = None, c: Union[float, None] = None,
              d: "bool | None" = None, e: Optional[dict] = {"k": "v"}) -> list:
    return [a, b, c, d, e]


def generics(a: List[int], b: Dict[str, int], c: typing.List[typing.Dict[str, int]], d: List,
             e: "CustomType", f: typing.Any) -> typing.List[int]:
    return a + list(b.values()) + [len(c), len(d), len(e), int(f is None)]


def files(data_path: InputPath("CSV"), model_file: InputBinaryFile("Model"), notes_file: InputTextFile(),
          plain_path: InputPath(), typed_path: InputPath(list),
          result_path: OutputPath("CSV"), blob_file: OutputBinaryFile(), log_file: OutputTextFile("Text"),
          extra_file_path: OutputPath(), optional_path: InputPath("CSV") = None) -> NamedTuple(
              "Outputs", [("rows", int), ("note", str), ("result", "URI")]):
    """Reads and writes files."""
    with open(data_path) as handle:
        rows = handle.read().splitlines()
    model = model_file.read()
    notes = notes_file.read()
    with open(result_path, "w") as handle:
        handle.write("\n".join(reversed(rows)))
    blob_file.write(model[::-1])
    log_file.write(notes.upper())
    with open(extra_file_path, "w") as handle:
        handle.write(plain_path + "|" + typed_path + "|" + str(optional_path))
    return (len(rows), notes.strip(), "uri://" + str(len(model)))


def no_return(data: int):
    print("Processing", data)


def returns_none(data: int) -> None:
    print("Processing", data)


class Stats(NamedTuple):
    count: int
    names: list
    ratio: "Float"


def class_tuple(names: list) -> Stats:
    return (len(names), sorted(names), 1.0 / max(len(names), 1))


def collision(out_path: OutputPath(), model_path: InputPath(), model_file: OutputPath("M")) -> str:
    with open(out_path, "w") as handle:
        handle.write("file")
    with open(model_file, "w") as handle:
        handle.write(open(model_path).read())
    return "returned"


@func_to_container_op
def decorated(x: int) -> int:
    """Doubles."""
    return 2 * x


def odd_builtins(a: set, b: bytes = b"x", c: complex = 1j, d: tuple = (1, 2)) -> bytes:
    return str([a, b, c, d]).encode()


if __name__ == "__main__":
    create_component_from_func(untyped, output_component_file="untyped.yaml")
    create_component_from_func(simple_types, base_image="python:3.9", output_component_file="simple.yaml")
    create_component_from_func(defaults, packages_to_install=["pandas==1.0.5"])
