"""Functions KFP would turn into components that cannot run: creg refuses them, with positions."""
from kfp.components import InputTextFile, OutputPath


def positional_only(a: int, /, b: int) -> int:
    return a + b


def output_default(result_path: OutputPath() = "x") -> None:
    pass


def text_file_default(notes_file: InputTextFile() = None) -> None:
    pass


async def waits(a: int) -> int:
    return a


def star_args(*values: int, **options: str) -> int:
    return len(values)


def computed_default(a: int = len("abc")) -> int:
    return a
