from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["walk"]

def walk(
    candidates: Iterable[Any],
    longest_only: bool,
    top: int,
    concurrent: Callable[[str, int], int] | None,
    bound: tuple[int, int] | None,
    judge: Callable[[Any, Any], tuple[Any, ...]],
    context: Any,
) -> tuple[list[Any], list[Any]]: ...
