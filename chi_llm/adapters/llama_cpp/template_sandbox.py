"""Rendering a GGUF file's chat template with bounded work, output and memory.

A chat template is code that comes with the model file, and a model file can come from anywhere.
Jinja's sandbox stops it from reaching Python's internals, but not from looping for hours
(`range(99999)` nested twice) or building a string of gigabytes (`"x" * 10**10`). Every loop
step, call, attribute and item lookup here draws on a budget that is also a deadline, `*` and `**`
refuse results beyond a size, and the output is collected with a cap; a template that passes
none of this fails with an error that names the file instead of hanging a request's thread.
"""

from __future__ import annotations

import functools
import operator
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from jinja2.sandbox import ImmutableSandboxedEnvironment

MAX_STEPS = 2_000_000  # lookups, calls and loop steps in one render (a real template takes thousands)
MAX_SECONDS = 5.0  # wall-clock for one render
MAX_OUTPUT_CHARS = 32 * 1024 * 1024  # far beyond any context window's worth of text
MAX_SEQUENCE = 1_000_000  # `*` on text or lists; `range` lengths
MAX_EXPONENT_BITS = 4096  # `**` results


class TemplateBudgetExceeded(Exception):
    """The template asked for more work, time or memory than a chat prompt needs."""


class _Budget(threading.local):
    steps = 0
    deadline = 0.0
    active = False


_budget = _Budget()


def _tick(count: int = 1) -> None:
    if not _budget.active:
        return
    _budget.steps -= count
    if _budget.steps < 0:
        raise TemplateBudgetExceeded(f"it took more than {MAX_STEPS:,} steps")
    if _budget.steps % 1024 < count and time.monotonic() > _budget.deadline:
        raise TemplateBudgetExceeded(f"it ran for more than {MAX_SECONDS:g} s")


def _bounded_range(*args: int) -> Iterator[int]:
    numbers = range(*args)
    if len(numbers) > MAX_SEQUENCE:
        raise TemplateBudgetExceeded(f"range of {len(numbers):,} items (at most {MAX_SEQUENCE:,})")
    for number in numbers:
        _tick()
        yield number


def _sized(value: Any) -> int | None:
    return len(value) if isinstance(value, (str, bytes, list, tuple)) else None


def _checked_multiply(left: Any, right: Any) -> Any:
    length, times = (_sized(left), right) if _sized(left) is not None else (_sized(right), left)
    if length is not None and isinstance(times, int) and length * times > MAX_SEQUENCE:
        raise TemplateBudgetExceeded(f"a repetition of {length * times:,} items (at most {MAX_SEQUENCE:,})")
    return operator.mul(left, right)


def _checked_power(base: Any, exponent: Any) -> Any:
    big = isinstance(base, int) and isinstance(exponent, int) and abs(base) > 1
    if big and exponent * abs(base).bit_length() > MAX_EXPONENT_BITS:
        raise TemplateBudgetExceeded(f"a power beyond {MAX_EXPONENT_BITS} bits")
    return operator.pow(base, exponent)


# A field width or precision of a million characters or more, in %-style or {}-style formats.
_WIDE_FORMAT = re.compile(r"%[-+ #0*]*\d*\.?\d{7,}|\{[^{}]*:[^{}]*\d{7,}[^{}]*\}")


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Numbers that size a result (`center(10**9)`, `ljust`, `indent`) stay below MAX_SEQUENCE."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SEQUENCE:
            raise TemplateBudgetExceeded(f"an argument of {value:,} (at most {MAX_SEQUENCE:,})")


def _check_format(text: Any) -> None:
    if isinstance(text, str) and _WIDE_FORMAT.search(text):
        raise TemplateBudgetExceeded("a format with a width of a million characters or more")


def _bounded_filter(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_arguments(args, kwargs)
        if function.__name__ == "do_format" and args:
            _check_format(args[0])
        return function(*args, **kwargs)

    return bounded


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with every step of a render counted against a budget."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _bounded_range
        self.filters = {name: _bounded_filter(function) for name, function in self.filters.items()}

    def add_filter(self, name: str, function: Callable[..., Any]) -> None:
        """Add a filter that draws on the same budget as the built-in ones."""
        self.filters[name] = _bounded_filter(function)

    def call_binop(self, context: Any, operator_name: str, left: Any, right: Any) -> Any:
        _tick()
        if operator_name == "*":
            return _checked_multiply(left, right)
        if operator_name == "**":
            return _checked_power(left, right)
        if operator_name == "%":
            _check_format(left)
        return super().call_binop(context, operator_name, left, right)

    def getattr(self, obj: Any, attribute: str) -> Any:
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        _tick()
        return super().getitem(obj, argument)

    def call(self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _tick()
        _check_arguments(args, kwargs)
        if getattr(__obj, "__name__", "") in ("format", "format_map"):  # "{:>999999999}".format(...)
            _check_format(getattr(__obj, "__self__", None))
        return super().call(__context, __obj, *args, **kwargs)


def render_bounded(template: Any, variables: dict[str, Any]) -> str:
    """Render a template compiled by a BoundedEnvironment, within the budget."""
    if _budget.active:  # a template rendering a template: the outer budget covers both
        return "".join(template.generate(**variables))
    _budget.steps, _budget.deadline, _budget.active = MAX_STEPS, time.monotonic() + MAX_SECONDS, True
    try:
        pieces: list[str] = []
        size = 0
        for piece in template.generate(**variables):
            _tick()
            size += len(piece)
            if size > MAX_OUTPUT_CHARS:
                raise TemplateBudgetExceeded(f"its output passed {MAX_OUTPUT_CHARS:,} characters")
            pieces.append(piece)
        return "".join(pieces)
    finally:
        _budget.active = False
