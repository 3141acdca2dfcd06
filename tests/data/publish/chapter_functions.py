"""The chapter's lightweight Python components (Kubeflow for Machine Learning, ch. "Kubeflow Pipelines").

my_divmod uses `math` instead of numpy (numpy may not be installed where tests run); the
structure -- imports inside the body, a nested helper, a namedtuple result -- is the chapter's.
"""
from typing import NamedTuple

OPENED = open  # module-level code that must never run during conversion is below
raise SystemExit("chapter_functions.py was executed; from-func must only parse it")


def add(a: float, b: float) -> float:
    '''Calculates sum of two arguments'''
    return a + b


def my_divmod(dividend: float, divisor: float) -> NamedTuple('MyDivmodOutput', [('quotient', float), ('remainder', float)]):
    '''Divides two numbers and calculate  the quotient and remainder'''
    #Imports inside a component function:
    import math
    def divmod_helper(dividend, divisor):
        return (math.floor(dividend / divisor), math.fmod(dividend, divisor))
    (quotient, remainder) = divmod_helper(dividend, divisor)
    from collections import namedtuple
    divmod_output = namedtuple('MyDivmodOutput', ['quotient', 'remainder'])
    return divmod_output(quotient, remainder)
