"""The grammar llama.cpp decodes under: a JSON Schema reduced (schema_reduce), converted by
llama-cpp-python, bounded in size, and parsed by llama.cpp once before decoding, so that a schema
never reaches native code as a grammar llama.cpp refuses (llama-cpp-python would sample through
the NULL sampler it gets back: SIGSEGV)."""

from __future__ import annotations

from typing import Any

from chi_llm.adapters.llama_cpp.schema_limits import SchemaProblem
from chi_llm.adapters.llama_cpp.schema_reduce import reduce_schema
from chi_llm.domain.errors import InvalidRequest
from chi_llm.domain.generation import GenerationOptions
from chi_llm.domain.structured import OutputSchema

MAX_GRAMMAR_BYTES = 256 * 1024  # a larger grammar is refused (the reductions keep real schemas far below)
MAX_TOKEN_CHARS = 128  # the longest token of common vocabularies (gemma 3: 48, llama 3 and gpt-2: 128 bytes)
ROOT = b"root"


SIMPLER = "Simplify the schema (plain types, properties, items, enum, required work everywhere)"


def _refused(why: str, advice: str = SIMPLER) -> InvalidRequest:
    message = f"this JSON Schema cannot become a llama.cpp grammar: {why}. {advice}"
    return InvalidRequest(message, backend="llama.cpp")


# A character of a JSON string: anything but `"`, `\`, DEL and the control characters (which JSON
# wants escaped), or an escape. llama-cpp-python's converter let any character but `"` and `\`
# through, so a model could write a raw newline inside a string: text no JSON reader takes.
JSON_CHAR = r'[^"\\\x7F\x00-\x1F] | "\\" (["\\/bfnrt] | "u" [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F] [0-9a-fA-F])'


def _gbnf(schema: dict[str, Any]) -> str:
    """llama-cpp-python's converter, fixed: it wrote `json.dumps(value)` into a GBNF literal as it
    is, so GBNF read the JSON escapes (`\\u0013` became a raw control character no token produces,
    and llama.cpp aborts when no token fits; a `"` in an enum value broke the grammar), and its
    string characters took control characters (JSON_CHAR). Here a literal matches its JSON text
    exactly (all ASCII: always producible)."""
    from llama_cpp.llama_grammar import BuiltinRule, SchemaConverter

    class JsonTextConverter(SchemaConverter):
        def _format_literal(self, literal: str) -> str:  # only ever given json.dumps output
            return '"' + literal.replace("\\", "\\\\").replace('"', '\\"') + '"'

        def _add_primitive(self, name: str, rule: Any) -> Any:
            if name == "char":
                rule = BuiltinRule(JSON_CHAR, [])
            return super()._add_primitive(name, rule)

    converter = JsonTextConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)  # type: ignore[no-untyped-call]
    converter.visit(converter.resolve_refs(schema, "stdin"), "")  # type: ignore[no-untyped-call]
    return str(converter.format_grammar())  # type: ignore[no-untyped-call]


def schema_text(schema: Any, *, tokens: int, patterns: bool = True) -> str:
    """GBNF for `schema`, for an answer of at most `tokens` tokens. Raises InvalidRequest with
    the reason when the schema can never be satisfied, cannot fit, or is too large."""

    max_chars = tokens * MAX_TOKEN_CHARS
    try:
        reduced = reduce_schema(schema, max_chars=max_chars, patterns=patterns)
    except SchemaProblem as problem:
        if problem.kind == "fit":
            raise _refused(
                f"the answer cannot fit: {problem.message}, the most {tokens} tokens can hold "
                f"(max_tokens, or the context left after the prompt; at most {MAX_TOKEN_CHARS} characters a token)",
                "Raise max_tokens or lower minLength/minItems",
            ) from None
        if problem.kind == "never":
            raise _refused(f"no answer can follow it: {problem.message}", "Fix the schema") from None
        raise _refused(f"it is too large or malformed: {problem.message}") from None
    try:
        text = _gbnf(reduced)
    except (Exception, RecursionError) as exc:  # the converter's own asserts and errors
        raise _refused(f"llama-cpp-python's converter failed ({type(exc).__name__}: {exc})") from None
    if "\x00" in text:
        raise _refused("the grammar would hold a NUL character")
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise _refused("the grammar would hold a lone surrogate (not a character)") from None
    if size > MAX_GRAMMAR_BYTES:
        raise _refused(f"its grammar would be over {MAX_GRAMMAR_BYTES // 1024} KiB")
    return text


def parses(text: str, vocab: Any) -> bool:
    """Whether llama.cpp accepts the grammar (parsed once, then freed). `vocab` may be None."""
    import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(vocab, text.encode("utf-8"), ROOT)
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


def checked_grammar(schema: OutputSchema, *, tokens: int, vocab: Any) -> str:
    """The grammar text for a schema, parsed by llama.cpp. A pattern llama.cpp cannot take is
    left to validation (the grammar is built again without patterns) rather than refused."""
    first: InvalidRequest | None = None
    for patterns in (True, False) if '"pattern"' in schema.text else (True,):
        try:
            text = schema_text(schema.value, tokens=tokens, patterns=patterns)
        except InvalidRequest as error:
            first = first or error
            continue
        if parses(text, vocab):
            return text
    raise first or _refused("llama.cpp refused the grammar built from it")


def grammar_for(options: GenerationOptions, *, tokens: int, vocab: Any) -> str | None:
    """The grammar text that constrains decoding: the JSON Schema's, or any JSON (as a remote
    `response_format: json_object` does), or none."""
    if options.schema is not None:
        return checked_grammar(options.schema, tokens=tokens, vocab=vocab)
    if options.json:
        from llama_cpp.llama_grammar import JSON_GBNF

        return str(JSON_GBNF)
    return None
