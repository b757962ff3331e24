"""Turning messages into a prompt with the chat template stored in the GGUF file."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from chi_llm.adapters.llama_cpp.template_sandbox import BoundedEnvironment, TemplateBudgetExceeded, render_bounded
from chi_llm.adapters.llama_cpp.tool_prompt import generic_turns, native_turns, specs
from chi_llm.adapters.llama_cpp.tool_syntax import HERMES, CallSyntax, detect
from chi_llm.domain.errors import InvalidRequest, ModelCorrupt
from chi_llm.domain.messages import Message
from chi_llm.domain.tools import ToolSet

Turns = list[dict[str, Any]]
Render = Callable[[Turns, Turns | None], tuple[str, list[str], bool]]
BACKEND = "llama.cpp"


@dataclass(frozen=True, slots=True)
class Formatter:
    """Messages (and a request's tools) to (prompt text, extra stop strings, whether the
    tokenizer should add BOS). `native_tools`: the template renders `tools` and tool turns itself,
    and the model writes calls in `syntax`; else the generic format (tool_prompt.py)."""

    render: Render
    native_tools: bool = False
    syntax: CallSyntax = HERMES

    def __call__(self, messages: Sequence[Message], tools: ToolSet | None = None) -> tuple[str, list[str], bool]:
        if self.native_tools:
            return self.render(native_turns(messages), specs(tools))
        return self.render(generic_turns(messages, tools, self.syntax), None)


class TemplateRefused(ValueError):
    """The template's own `raise_exception(...)`: these messages do not suit this model."""


def _raise_exception(message: str) -> None:
    raise TemplateRefused(message)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # As Transformers renders chat templates (llama-cpp-python does the same).
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def _generation_tags() -> Any:
    """Hugging Face's `{% generation %}` tag passes its body through (as Transformers does)."""
    from jinja2.ext import Extension

    class IgnoreGenerationTags(Extension):
        tags = {"generation"}  # noqa: RUF012 - Jinja's own attribute

        def parse(self, parser: Any) -> Any:
            parser.stream.skip(1)
            return parser.parse_statements(("name:endgeneration",), drop_needle=True)

    return IgnoreGenerationTags


def uncompilable(source: str, exc: BaseException) -> ModelCorrupt:
    """The error for a chat template that does not compile (here, or in llama-cpp-python's Llama())."""
    return ModelCorrupt(
        f"the chat template in {source} does not compile ({exc}): the file's metadata is damaged "
        "or was written for another template engine; get the model again from where it came from",
        backend=BACKEND,
    )


def _jinja_formatter(template: str, source: str, eos: str, bos: str) -> Formatter:
    from jinja2 import TemplateError, meta

    environment = BoundedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[_generation_tags(), "jinja2.ext.loopcontrols"]
    )
    environment.add_filter("tojson", _tojson)
    try:
        compiled = environment.from_string(template)
        native = "tools" in meta.find_undeclared_variables(environment.parse(template))
    except (TemplateError, RecursionError, MemoryError, ValueError) as exc:
        raise uncompilable(source, exc) from exc

    def render(turns: Turns, tools: Turns | None) -> tuple[str, list[str], bool]:
        variables: dict[str, Any] = {
            "messages": turns,
            "eos_token": eos,
            "bos_token": bos,
            "raise_exception": _raise_exception,
            "add_generation_prompt": True,
            "strftime_now": lambda fmt: datetime.now().strftime(fmt),  # the user's local time, as Transformers
        }
        if tools is not None:
            variables["tools"] = tools
        try:
            prompt = render_bounded(compiled, variables)
        except TemplateRefused as exc:
            raise InvalidRequest(f"this model's chat template refuses these messages: {exc}", backend=BACKEND) from exc
        except TemplateBudgetExceeded as exc:
            raise ModelCorrupt(
                f"the chat template in {source} was stopped: {exc}. A chat template needs far less; "
                "this file's template is broken or hostile (use another copy of the model)",
                backend=BACKEND,
            ) from exc
        except (TemplateError, RecursionError, MemoryError, ArithmeticError, TypeError, ValueError) as exc:
            raise ModelCorrupt(f"the chat template in {source} failed ({exc})", backend=BACKEND) from exc
        return prompt, [eos] if eos else [], False

    return Formatter(render, native_tools=native, syntax=detect(template) if native else HERMES)


def make_formatter(llm: Any, metadata: dict[str, Any], source: str = "the model file") -> Formatter:
    """A formatter using the model's own template; a family fallback only when it has none.

    Returns (prompt text, extra stop strings, whether the tokenizer should add BOS). The template
    runs in a bounded sandbox (template_sandbox.py): it is code that came with the file.
    """
    from llama_cpp import llama_chat_format as formats

    template = metadata.get("tokenizer.chat_template")
    if template:
        eos_id, bos_id = llm.token_eos(), llm.token_bos()
        eos = llm._model.token_get_text(eos_id) if eos_id != -1 else ""
        bos = llm._model.token_get_text(bos_id) if bos_id != -1 else ""
        return _jinja_formatter(str(template), source, eos, bos)
    formatter: Any = (
        formats.format_gemma
        if str(metadata.get("general.architecture", "")).startswith("gemma")
        else formats.format_chatml
    )

    def render(turns: Turns, _: Turns | None) -> tuple[str, list[str], bool]:
        result = formatter(messages=turns)
        stop = result.stop if isinstance(result.stop, list) else [result.stop] if result.stop else []
        return result.prompt, [s for s in stop if s], not result.added_special

    return Formatter(render)
