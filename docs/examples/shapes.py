"""A small module to try ghostwright on: `make run` completes the body of `area`."""

import math
from dataclasses import dataclass


@dataclass
class Circle:
    radius: float

    def area(self) -> float:
        """The area of the circle."""
        

    def circumference(self) -> float:
        """The length of the circle's edge."""
        return 2 * math.pi * self.radius


def fibonacci(n: int) -> int:
    """The n-th Fibonacci number, counting fibonacci(0) == 0."""
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)
