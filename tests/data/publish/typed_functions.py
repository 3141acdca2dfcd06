import typing
from typing import Dict, List, NamedTuple, Optional


class Stats(NamedTuple):
    count: int
    names: list
    flags: Dict[str, bool]


def describe(names: List[str], scale: int = 2, loud: bool = False, meta: dict = {"k": 1},
             title: Optional[str] = None, ratio: "float" = 0.5) -> Stats:
    """Counts names.

    Second paragraph of the description.
    """
    import json
    shown = [n.upper() if loud else n for n in names] * scale
    flags = {"loud": loud, "titled": title is not None, "meta": json.dumps(meta) == '{"k": 1}'}
    return (len(shown), shown, flags)


def shout(text: str, times: typing.Optional[int] = None) -> str:
    return text.upper() * (times or 1)


def nothing(flag: bool) -> None:
    if flag:
        raise ValueError("flag was set")
