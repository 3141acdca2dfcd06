"""The benchmark shapes, shared by creg's benchmark and the peer scripts (hera, kfp v1).

chain-N: N tasks, each passing its output to the next (t0 -> t1 -> ... -> tN-1).
fanout-N: one root task and N-1 tasks that each read the root's output.
Every task runs the same one-input, one-output container component ("step").
"""

from __future__ import annotations

STEP_COMPONENT = """\
name: step
description: Adds one to x.
inputs:
- {name: x, type: Integer}
outputs:
- {name: y, type: Integer}
implementation:
  container:
    image: alpine:3.19
    command: [sh, -c, 'mkdir -p "$(dirname "$1")" && echo $(($0 + 1)) > "$1"', {inputValue: x}, {outputPath: y}]
"""

SHAPES = ("chain", "fanout")
SIZES = (10, 100, 1000, 10000)


def upstream(shape: str, index: int) -> int | None:
    """The task whose output task ``index`` reads (None for the first task)."""
    if index == 0:
        return None
    return index - 1 if shape == "chain" else 0


def task_name(index: int) -> str:
    return f"t{index}"


def creg_pipeline(shape: str, n: int) -> str:
    """The pipeline YAML creg compiles; the step component sits next to it as step.yaml."""
    lines = [f"name: {shape}-{n}", "tasks:"]
    for i in range(n):
        up = upstream(shape, i)
        arg = "0" if up is None else "{output: %s}" % task_name(up)
        lines.append(f"  {task_name(i)}: {{component: ./step.yaml, args: {{x: {arg}}}}}")
    return "\n".join(lines) + "\n"
