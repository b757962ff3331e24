"""Structured output on the embedded default model: the share of schema-valid answers with the
schema enforced (a llama.cpp grammar compiled from it) versus the same prompt with the schema only
described, and the time per extraction — one attempt each, no repair, so the numbers show what
enforcement itself buys. Goal: 100% valid with enforcement.

    .venv/bin/python benchmarks/structured.py [--rounds 2]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from dataclasses import replace
from typing import Any

from chi_llm import MicroLLM
from chi_llm.adapters.json_schema import JsonSchemaValidator
from chi_llm.application.structured import EXTRACT_SYSTEM, parse
from chi_llm.domain.structured import OutputSchema

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}, "city": {"type": "string"}},
    "required": ["name", "age"],
}
ORDER = {
    "type": "object",
    "properties": {
        "items": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"item": {"type": "string"}, "qty": {"type": "integer", "minimum": 1, "maximum": 20}},
                "required": ["item", "qty"],
            },
            "minItems": 1,
        },
        "express": {"type": "boolean"},
    },
    "required": ["items", "express"],
}
REVIEW = {
    "type": "object",
    "properties": {
        "sentiment": {"enum": ["positive", "negative", "neutral"]},
        "stars": {"type": "integer", "minimum": 1, "maximum": 5},
        "topics": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
    },
    "required": ["sentiment", "stars", "topics"],
}
EVENT = {
    "type": "object",
    "properties": {
        "title": {"type": "string"},
        "date": {"type": "string"},
        "place": {"type": "object", "properties": {"city": {"type": "string"}, "venue": {"type": "string"}}},
        "free": {"type": "boolean"},
    },
    "required": ["title", "date", "place", "free"],
}
CASES: list[tuple[str, dict[str, Any]]] = [
    ("Alice is 31 and lives in Paris.", PERSON),
    ("Bob, a 45-year-old engineer from Berlin, joined last year.", PERSON),
    ("Send me 3 apples and 2 loaves of bread, as fast as you can.", ORDER),
    ("One box of pencils please, no rush.", ORDER),
    ("Loved it! Great battery and a bright screen. Five stars.", REVIEW),
    ("Broke after two days and support never answered.", REVIEW),
    ("The Jazz Night takes place on 12 May at the Blue Note in New York; entry is free.", EVENT),
    ("Tickets for the Spring Fair (Lyon, Parc de la Tête d'Or, 3 April) cost 10 euros.", EVENT),
]


def run(llm: MicroLLM, text: str, schema: dict[str, Any], *, enforce: bool) -> tuple[bool, float]:
    system = EXTRACT_SYSTEM.format(schema=json.dumps(schema))
    request = llm.chat_request(text, system=system, temperature=0.0, max_tokens=160)
    if enforce:
        request = replace(request, options=replace(request.options, schema=OutputSchema.of(schema)))
    started = time.perf_counter()
    answer = llm.run(request).text
    seconds = time.perf_counter() - started
    value, problems = parse(answer)
    return not problems and not JsonSchemaValidator().errors(value, schema), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2, help="passes over the cases (interleaved modes)")
    args = parser.parse_args()
    llm = MicroLLM(context=2048)
    llm.generate("Hi", max_tokens=1)  # load the model before timing
    results: dict[bool, list[tuple[bool, float]]] = {True: [], False: []}
    for _ in range(args.rounds):
        for text, schema in CASES:
            for enforce in (True, False):
                results[enforce].append(run(llm, text, schema, enforce=enforce))
    for enforce, label in ((True, "enforced (grammar)"), (False, "prompted only")):
        rows = results[enforce]
        valid = sum(ok for ok, _ in rows) / len(rows)
        print(
            f"{label:<20} valid {valid:6.1%}   median {statistics.median(s for _, s in rows):.2f} s/extraction"
            f"   ({len(rows)} extractions)"
        )
    llm.close()


if __name__ == "__main__":
    main()
