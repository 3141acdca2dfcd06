"""Calls creg cannot read without running the file, each reported at its position."""
from kfp.components import create_component_from_func, func_to_container_op

IMAGE = "python:3.10"
PACKAGES = ["numpy==1.26.0"]
VERSION = "3.11"
VERSION = "3.12"  # bound twice: not a constant


def double(x: int) -> int:
    return 2 * x


def get_image():
    return "python:3.9"


create_component_from_func(double, base_image=IMAGE, packages_to_install=PACKAGES)
create_component_from_func(double, base_image=get_image())
func_to_container_op(double, packages_to_install=["pandas==" + VERSION])
create_component_from_func(double, output_component_file=f"{VERSION}.yaml")
create_component_from_func(lambda x: x)
create_component_from_func(double, **{"base_image": "x"})
func_to_container_op(double, use_code_pickling=True)
create_component_from_func(double, base_image=VERSION)
create_component_from_func(double, image="python:3.9")
