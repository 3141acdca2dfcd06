import os

LIMIT = 3


def no_hints(a, b: int) -> int:
    return a + b


def star_args(*values: int, **options: str) -> int:
    return len(values)


def odd_types(a: set, b: complex = 1j) -> bytes:
    return b""


def uses_globals(path: str) -> str:
    return os.path.join(path, str(LIMIT))


def no_return_hint(a: int):
    return a


def computed_default(a: int = LIMIT + 1) -> int:
    return a
