"""chain-N / fanout-N built with the KFP v1 SDK 1.8.22 (run in bench/.venv-kfp): the same
component loaded from text, each task reading the previous (or the root) task's output."""

from __future__ import annotations

from pathlib import Path

from _common import STEP_COMPONENT, measure, upstream


def imports() -> None:
    import kfp  # noqa: F401
    import kfp.compiler  # noqa: F401
    import kfp.components  # noqa: F401
    import kfp.dsl  # noqa: F401


def build(shape: str, n: int, folder: Path) -> Path:
    import kfp
    from kfp import components, dsl

    step = components.load_component_from_text(STEP_COMPONENT)

    @dsl.pipeline(name=f"{shape}-{n}")
    def pipeline() -> None:
        tasks = []
        for i in range(n):
            up = upstream(shape, i)
            tasks.append(step(x=0 if up is None else tasks[up].outputs["y"]))

    out = folder / "out.yaml"
    kfp.compiler.Compiler().compile(pipeline, str(out))
    return out


if __name__ == "__main__":
    measure("kfp", imports, build)
