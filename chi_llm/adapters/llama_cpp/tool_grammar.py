"""The grammar a local model decodes under when a request offers tools: each call names a declared
tool and its arguments follow that tool's JSON Schema (the same schema grammars as structured
output, grammar.schema_text), in the call syntax of the model's template (tool_syntax).

- `auto`: free text that never contains the call opener, or one or more calls (or, with
  `lazy`, free text decoded unconstrained and then, once it writes the opener, the calls; or,
  once the answer opens with a call without its tags, `{"name": ...}` bare or in a ```json
  fence, those calls: llama.cpp's server triggers its Hermes grammar alike);
- `required`: one or more calls; a tool's name: one call of that tool;
- one call unless `parallel` is True (as llama.cpp's own server: small models asked for "one or
  more" keep calling until max_tokens cuts them off), and one in a syntax of single calls;
- `none`: no grammar (the tools are not even shown).
"""

from __future__ import annotations

import json
import re
from typing import Any

from chi_llm.adapters.llama_cpp.grammar import MAX_GRAMMAR_BYTES, parses, schema_text
from chi_llm.adapters.llama_cpp.tool_syntax import CallSyntax
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationRequest
from chi_llm.domain.tools import ToolSet

BACKEND = "llama.cpp"
BLANKS = " \t\r\n"
_RULE = re.compile(r"^([A-Za-z0-9-]+) ::= ", re.MULTILINE)
_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|\[(?:\\.|[^\]\\])*\]|[A-Za-z0-9-]+|.', re.DOTALL)


def _literal(text: str) -> str:
    return json.dumps(text)  # a GBNF literal reads JSON's escapes (\n, \", \\) alike


def _klass(chars: str, *, negate: bool) -> str:
    special = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
    escaped = "".join(special.get(c) or ("\\" + c if c in "\\]^-[" else c) for c in sorted(set(chars)))
    return f"[{'^' if negate else ''}{escaped}]"


def prefixed(grammar: str, prefix: str) -> str:
    """`grammar` with every rule renamed `prefix + name` (its literals and classes untouched),
    so that several schemas' grammars live in one."""
    names = set(_RULE.findall(grammar))
    return "".join(prefix + m.group() if m.group() in names else m.group() for m in _TOKEN.finditer(grammar))


def offered_tools(request: GenerationRequest) -> bool:
    """Whether the model is offered tools to call (tool_choice "none" offers none). Tools do
    not go with a schema or JSON mode (each is a grammar over the whole answer) nor with a raw
    prompt (no template to show them in): InvalidRequest saying so."""
    tools, options = request.options.tools, request.options
    if tools is None or tools.choice == "none":
        return False
    if not tools.tools:
        if tools.choice == "required":
            raise InvalidRequest("tool_choice is 'required' but no tools are given", backend=BACKEND)
        return False
    if request.prompt is not None:
        raise InvalidRequest(
            "tools go with chat messages, not a raw prompt (the chat template shows them to the model)",
            backend=BACKEND,
        )
    if options.schema is not None or options.json:
        raise InvalidRequest(
            "the local model cannot take tools and a JSON schema (or JSON mode) in one request: both "
            "constrain the whole answer. Ask for the tool calls first, then the structured answer "
            "without tools (or with tool_choice 'none')",
            backend=BACKEND,
        )
    return True


def _next(opener: str, state: int, char: str) -> int:
    """How much of `opener` is matched after `char`, with `state` letters of it matched before."""
    seen = opener[:state] + char
    return next(size for size in range(min(len(seen), len(opener)), -1, -1) if seen.endswith(opener[:size]))


def free_text(opener: str) -> str:
    """Rules for non-empty text in which `opener` never occurs: `text`, then one rule per
    letter of the opener matched so far (a small automaton; any other letter starts over)."""
    rules = []
    for state in range(len(opener)):
        options, taken = [], ""
        for char in sorted(set(opener)):
            goes = _next(opener, state, char)
            taken += char if goes else ""
            if 0 < goes < len(opener):
                options.append(f"{_literal(char)} tx{goes}")
        options.append(f"{_klass(taken, negate=True)} tx0")
        body = " | ".join(options)
        rules.append(f"tx{state} ::= ( {body} )?")
        if state == 0:
            rules.append(f"text ::= {body}")
    return "\n".join(rules)


def _opening_text(syntax: CallSyntax) -> str:
    """Text for a syntax whose calls open the answer: it starts with neither blank nor the opener."""
    first = _klass(syntax.start + BLANKS, negate=True)
    return f"text ::= {first} .*"


def _calls(tools: ToolSet, syntax: CallSyntax, *, tokens: int, patterns: bool, start: bool) -> str:
    """Rules `call` (any chosen tool's call), `calls` (as many as allowed) and `opened` (the calls
    once the first one's opener is written); with `start`, `started` (calls without their tags,
    bare or in a ```json fence, as the answer's start)."""
    rules = []
    chosen = [t for t in tools.tools if tools.choice in ("auto", "required") or t.name == tools.choice]
    for index, tool in enumerate(chosen):
        try:
            schema = schema_text(dict(tool.parameters), tokens=tokens, patterns=patterns)
        except InvalidRequest as error:
            raise InvalidRequest(f"tool {tool.name!r}: {error.message}", backend=BACKEND) from None
        rules.append(prefixed(schema, f"t{index}-"))
        head = syntax.head(tool.name)
        rules.append(f"t{index} ::= {_literal(head)} t{index}-root {_literal(syntax.tail())}")
        rules.append(f"o{index} ::= {_literal(head[len(syntax.start) :])} t{index}-root {_literal(syntax.tail())}")
        if start:
            rules.append(f"b{index} ::= {_literal(head[len(syntax.prefix) :])} t{index}-root " + '"}"')
    rules.append("call ::= " + " | ".join(f"t{index}" for index in range(len(chosen))))
    rules.append("open ::= " + " | ".join(f"o{index}" for index in range(len(chosen))))
    several = syntax.multiple and tools.parallel is True and tools.choice in ("auto", "required")
    more = f" ( {_literal(syntax.separator)} call )*" if several else ""
    rules.append(f"calls ::= call{more}")
    rules.append(f"opened ::= open{more}")
    if start:
        rules.append("bare ::= " + " | ".join(f"b{index}" for index in range(len(chosen))))
        bares = f"bare ( {_literal(syntax.separator)} bare )*" if several else "bare"
        rules.append(f'started ::= {bares} | "```" "json"? "\\n" {bares} "\\n```"')
    return "\n".join(rules)


def build(
    tools: ToolSet,
    syntax: CallSyntax,
    *,
    tokens: int,
    patterns: bool = True,
    opened: bool = False,
    start: bool = False,
) -> str:
    """The grammar text (GBNF) for `tools`; InvalidRequest naming the tool whose schema cannot
    become one. `tokens`: the most the answer may take (bounds what a schema may ask for).
    `opened`: the grammar of the rest once free text has written the first call's opener;
    `start`: the grammar of an answer that opens with calls without their tags (lazy auto)."""
    parts = [_calls(tools, syntax, tokens=tokens, patterns=patterns, start=start)]
    if start:
        parts.append("root ::= started")
    elif opened:
        parts.append("root ::= opened")
    elif tools.choice == "auto":
        parts.append("root ::= calls | text")
        parts.append(free_text(syntax.start) if syntax.anywhere else _opening_text(syntax))
    else:
        parts.append("root ::= calls")
    text = "\n".join(parts) + "\n"
    if len(text.encode("utf-8")) > MAX_GRAMMAR_BYTES:
        raise InvalidRequest(
            f"the tools' schemas make a llama.cpp grammar over {MAX_GRAMMAR_BYTES // 1024} KiB: "
            "offer fewer tools or simpler parameters",
            backend=BACKEND,
        )
    return text


def lazy(tools: ToolSet, syntax: CallSyntax) -> bool:
    """Whether `auto` decodes free text unconstrained and the calls under the grammar only once
    the text writes the call opener (tool_decode): text at full speed (a grammar over the whole
    vocabulary at every token slows a small model's text about threefold), and text may come
    before the calls. A syntax whose calls open the answer keeps the whole grammar."""
    return tools.choice == "auto" and syntax.anywhere


def tool_grammar(
    tools: ToolSet | None, syntax: CallSyntax, *, tokens: int, vocab: Any, opened: bool = False, start: bool = False
) -> str | None:
    """The checked grammar for a request's tools (None: no tools, or tool_choice none). A pattern
    llama.cpp cannot take is left to validation (built again without patterns)."""
    if tools is None or tools.choice == "none" or not tools.tools:
        return None
    first: InvalidRequest | None = None
    for patterns in (True, False):
        try:
            text = build(tools, syntax, tokens=tokens, patterns=patterns, opened=opened, start=start)
        except InvalidRequest as error:  # a pattern the converter refuses: try without patterns
            first = first or error
            continue
        if parses(text, vocab):
            return text
    if first is not None:
        raise first
    raise InvalidRequest(
        "llama.cpp refused the grammar built from the tools' schemas: simplify their parameters "
        "(plain types, properties, items, enum, required work everywhere)",
        backend=BACKEND,
    )
