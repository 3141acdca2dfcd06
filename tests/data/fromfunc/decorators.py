"""Decorators that name a component's options: kfp.dsl.python_component and functools.partial."""
import functools

from kfp import dsl
from kfp.components import create_component_from_func, func_to_container_op


@dsl.python_component(name="Shouter", description="Says it louder.", base_image="python:3.10-slim",
                      target_component_file="shout.yaml")
def shout(text: str) -> str:
    return text.upper()


@functools.partial(create_component_from_func, base_image="python:3.12", packages_to_install=["six"])
def whisper(text: str) -> str:
    """Says it quietly.

    Args:
        text: What to say.
    """
    return text.lower()


if __name__ == "__main__":
    func_to_container_op(shout)
