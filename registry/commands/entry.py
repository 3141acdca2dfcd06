"""Process entry point of ``creg``.

``creg --help`` is answered from ``help.txt``, the group's help as click
renders it, so that the most common first command never pays for importing click (about
two thirds of a bare start-up).  ``tests/test_commands_group.py`` keeps the text identical to click's
rendering; ``CREG_REGEN_GOLDEN=1`` rewrites it.  Everything else goes to ``registry.commands.group``.
"""

import os
import sys

HELP_WIDTH = 80  # click renders at min(terminal, 80) columns; below that the text would differ


def _columns() -> int:
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns > 0:
        return columns
    stdout = sys.__stdout__
    if stdout is None:  # Python runs without a stdout
        return HELP_WIDTH
    try:
        return os.get_terminal_size(stdout.fileno()).columns or HELP_WIDTH
    except (AttributeError, ValueError, OSError):
        return HELP_WIDTH


def _wants_bare_help(argv: list[str]) -> bool:
    return argv in (["--help"], ["-h"]) and _columns() >= HELP_WIDTH


def main() -> None:
    if _wants_bare_help(sys.argv[1:]) and os.path.basename(sys.argv[0]) == "creg":
        # Next to this file, not through importlib.resources: that import alone costs more
        # than the rest of this path, and creg is always installed as plain files.
        with open(os.path.join(os.path.dirname(__file__), "help.txt"), encoding="utf-8") as text:
            sys.stdout.write(text.read())
        sys.exit(0)
    if sys.argv[1:] == ["--version"] and os.path.basename(sys.argv[0]) == "creg":
        # click and importlib.metadata cost ~50 ms for one line; the version is the package's.
        from registry import __version__

        sys.stdout.write(f"creg, version {__version__}\n")  # click's version_option wording
        sys.exit(0)
    if sys.argv[1:3] == ["runs", "list"] and os.path.basename(sys.argv[0]) == "creg":
        # Listing thousands of runs costs less than importing click; see runs_fast.
        from registry.commands.runs_fast import answer

        if answer(sys.argv[3:]):
            sys.exit(0)
    from registry.commands.group import main as cli_main  # lazy: start-up

    try:
        cli_main()
    except SystemExit as done:
        leave_without_teardown(done.code)
        raise


def leave_without_teardown(code: object) -> None:
    """End the process at once when nothing is left to do at exit; else return.

    A normal exit frees every object the command built one by one (about 20 ms after compiling
    1,000 tasks, a tenth of the command) only for the process to end.  Skipping that is safe
    when no exit handler is registered (``atexit`` also carries logging's flush and temporary
    folders' clean-up), no other thread runs and the output streams flush; otherwise the
    process leaves as usual.  Every file creg writes is complete before the command returns.
    """
    import atexit

    count = getattr(atexit, "_ncallbacks", None)  # CPython's; elsewhere: always the normal exit
    threading = sys.modules.get("threading")
    if not isinstance(code, (int, type(None))) or count is None or count() != 0:
        return
    if threading is not None and threading.active_count() != 1:
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError, AttributeError):
        return  # a closed or broken stream: let the normal exit report it
    os._exit(code or 0)
