"""chain-N / fanout-N built with hera 7.1 (run in bench/.venv-hera): the same container step,
an input parameter x and an output parameter y read from a file, one DAG task per step."""

from __future__ import annotations

from pathlib import Path

from _common import measure, task_name, upstream


def imports() -> None:
    import hera.workflows  # noqa: F401
    import hera.workflows.models  # noqa: F401


def build(shape: str, n: int, folder: Path) -> Path:
    from hera.workflows import DAG, Container, Parameter, Workflow
    from hera.workflows.models import ValueFrom

    with Workflow(generate_name=f"{shape}-{n}-", entrypoint="main") as workflow:
        step = Container(
            name="step", image="alpine:3.19",
            command=["sh", "-c", 'mkdir -p "$(dirname "$1")" && echo $(($0 + 1)) > "$1"',
                     "{{inputs.parameters.x}}", "/tmp/outputs/y/data"],
            inputs=[Parameter(name="x")],
            outputs=[Parameter(name="y", value_from=ValueFrom(path="/tmp/outputs/y/data"))])
        with DAG(name="main"):
            tasks = []
            for i in range(n):
                up = upstream(shape, i)
                x = "0" if up is None else tasks[up].get_parameter("y").value
                task = step(name=task_name(i), arguments={"x": x})
                if up is not None:
                    tasks[up] >> task
                tasks.append(task)
    out = folder / "out.yaml"
    out.write_text(workflow.to_yaml(), encoding="utf-8")
    return out


if __name__ == "__main__":
    measure("hera", imports, build)
