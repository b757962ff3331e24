"""Arbitrary JSON Schemas (degenerate ones included) through the llama.cpp grammar path, run as a
child process (`python -m tests.support.schema_fuzz`) so that a crash in native code fails the
calling test instead of killing the test run. The child limits its own address space.

Every schema must end as a grammar llama.cpp accepts or as InvalidRequest; with `--vocab GGUF`
each grammar also drives a few sampling steps of llama.cpp's grammar sampler over that model's
vocabulary (loaded vocabulary-only). Prints one JSON line: {"examples", "grammars", "refused",
"peak_rss_mb"}; exits 0 only when every example ended cleanly."""

from __future__ import annotations

import argparse
import ctypes
import json
import random
import resource
import sys
from pathlib import Path
from typing import Any

import numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

KEYS = [
    "type", "enum", "const", "anyOf", "oneOf", "allOf", "properties", "required", "additionalProperties",
    "items", "prefixItems", "minItems", "maxItems", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "pattern", "format", "$ref", "$defs", "minProperties",
    "maxProperties", "not", "uniqueItems", "description",
]  # fmt: skip
TYPES = ["object", "array", "string", "number", "integer", "boolean", "null", "value", "char", ""]
BIG = [0, 1, 2, -1, 5, 300, 1025, 10**7, 10**9, 2**63, -(10**9), 1.5, 1e300, 10**400, -(10**400)]
PATTERNS = [
    "^a$", "^[a-z]{2,4}$", r"^\d{3}-\d{4}$", "^(a|b)*$", "^a{100000}$", "^(((a)))$", "^[^\x00]$", "[",
    "^(?=a)$", "^a{5,2}$", "^\\x00$", "^[\\u0000]$", "^.*$", "^(" * 300 + ")" * 300 + "$", "", "^$", "^\\", "^[]$",
]  # fmt: skip
REFS = ["#", "#/$defs/a", "#/$defs/b", "#/properties/x", "#/nope", "https://example.com/s", "#/$defs/a/items", 7]
FORMATS = ["date", "time", "date-time", "uuid", "uuid4", "email", "", 3]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.sampled_from(BIG),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
)


def keyed(children: st.SearchStrategy[Any]) -> dict[str, st.SearchStrategy[Any]]:
    """Values that reach each keyword's branch of the converter, plus plain junk."""
    names = st.sampled_from(["a", "b", "x", "", "root", "space", "a b", "é"]) | st.text(max_size=4)
    schemas = st.dictionaries(names, children, max_size=4)
    return {
        "type": st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), max_size=3),
        "enum": st.lists(scalars, max_size=4) | scalars,
        "const": scalars | st.lists(scalars, max_size=2),
        "anyOf": st.lists(children, max_size=3),
        "oneOf": st.lists(children, max_size=3),
        "allOf": st.lists(children, max_size=3),
        "properties": schemas,
        "$defs": schemas,
        "required": st.lists(names, max_size=3) | scalars,
        "additionalProperties": children,
        "items": children | st.lists(children, max_size=2),
        "prefixItems": st.lists(children, max_size=3) | scalars,
        "pattern": st.sampled_from(PATTERNS) | st.text(max_size=8),
        "format": st.sampled_from(FORMATS),
        "$ref": st.sampled_from(REFS),
        "not": children,
    }


def schemas() -> st.SearchStrategy[Any]:
    def extend(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        by_key = keyed(children)
        value_for = st.sampled_from(KEYS).flatmap(lambda k: st.tuples(st.just(k), by_key.get(k, scalars)))
        return st.lists(value_for, max_size=6).map(dict)

    base = st.one_of(st.booleans(), st.just({}), st.builds(dict), scalars.map(lambda v: {"const": v}))
    return st.recursive(base, extend, max_leaves=24)


def accepted(grammar: str) -> None:
    """llama.cpp itself parses the grammar (no vocabulary needed): a grammar it refuses would
    become the NULL sampler llama-cpp-python then samples through (SIGSEGV)."""
    import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(None, grammar.encode("utf-8"), b"root")
    assert sampler, f"llama.cpp refuses the grammar handed to it: {grammar[:200]!r}"
    llama_cpp.llama_sampler_free(sampler)


class Vocab:
    """A model's vocabulary (no weights) and one reusable candidates array."""

    def __init__(self, path: str) -> None:
        import llama_cpp
        from llama_cpp._internals import LlamaModel

        params = llama_cpp.llama_model_default_params()
        params.vocab_only = True
        self.model = LlamaModel(path_model=path, params=params, verbose=False)
        self.vocab = self.model.vocab
        self.size = llama_cpp.llama_vocab_n_tokens(self.vocab)
        self.data = (llama_cpp.llama_token_data * self.size)()
        self.view = numpy.frombuffer(self.data, dtype=[("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])

    def walk(self, grammar: str, steps: int, rng: random.Random) -> None:
        """What llama-cpp-python does with a grammar, for a few tokens: build the sampler, mask
        the candidates, accept one the grammar allows (or an end-of-generation token)."""
        import llama_cpp
        from llama_cpp._internals import LlamaSampler
        from llama_cpp.llama_grammar import LlamaGrammar

        sampler = LlamaSampler()  # type: ignore[no-untyped-call]
        sampler.add_grammar(self.model, LlamaGrammar.from_string(grammar, verbose=False))
        for _ in range(steps):
            self.view["id"], self.view["logit"], self.view["p"] = numpy.arange(self.size), 0.0, 0.0
            array = llama_cpp.llama_token_data_array(data=self.data, size=self.size, selected=-1, sorted=False)
            llama_cpp.llama_sampler_apply(sampler.sampler, ctypes.byref(array))
            kept = self.view[: array.size]
            allowed = kept["id"][kept["logit"] != -numpy.inf].tolist()
            if not allowed:
                raise AssertionError("the grammar allows no token at all")
            token = rng.choice(allowed)
            if llama_cpp.llama_vocab_is_eog(self.vocab, token):
                break
            llama_cpp.llama_sampler_accept(sampler.sampler, token)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--vocab", help="a GGUF whose vocabulary drives sampling steps")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--memory-mb", type=int, default=1536)
    parser.add_argument("--recipes", help="a JSON list of [schema, max_tokens] to run instead of fuzzing")
    args = parser.parse_args()
    limit = args.memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    from chi_llm.adapters.llama_cpp.grammar import grammar_for
    from chi_llm.domain.errors import InvalidRequest
    from chi_llm.domain.generation import GenerationOptions
    from chi_llm.domain.structured import OutputSchema

    vocab = Vocab(args.vocab) if args.vocab else None
    counts = {"examples": 0, "grammars": 0, "refused": 0}
    said: list[str] = []  # per recipe: the error's message, or "grammar"

    def one(schema: Any, tokens: int) -> None:
        counts["examples"] += 1
        try:
            options = GenerationOptions(schema=OutputSchema.of(schema), max_tokens=tokens)
            text = grammar_for(options, tokens=tokens, vocab=vocab.vocab if vocab else None)
        except InvalidRequest as error:
            if not error.message.strip():
                raise AssertionError("an error must say why") from error
            counts["refused"] += 1
            said.append(error.message)
            return
        said.append("grammar")
        assert text, "a grammar"
        accepted(text)
        counts["grammars"] += 1
        if vocab is not None:  # the walk is seeded by the example, so a failure replays
            seed = json.dumps(schema, sort_keys=True, default=str)
            vocab.walk(text, args.steps, random.Random(seed))  # noqa: S311 (which token to take)

    if args.recipes:
        for schema, tokens in json.loads(args.recipes):
            one(schema, tokens)
    else:

        @settings(
            max_examples=args.examples,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(schemas(), st.sampled_from([1, 4, 16, 512, 4096]))
        def fuzz(schema: Any, tokens: int) -> None:
            one(schema, tokens)

        fuzz()
    # VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec
    status = Path("/proc/self/status").read_text().splitlines()
    peak = int(next(line for line in status if line.startswith("VmHWM")).split()[1]) // 1024
    print(json.dumps({**counts, "peak_rss_mb": peak, "said": said if args.recipes else []}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
