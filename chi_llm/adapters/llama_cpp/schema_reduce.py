"""A JSON Schema reduced to what llama.cpp's grammar converter turns into a grammar safely.

The converter (llama_cpp.llama_grammar) trusts its input: an empty `enum`/`anyOf`/`type` list
makes an empty rule that llama.cpp refuses, and llama-cpp-python then samples through a NULL
sampler (SIGSEGV); `minLength: 1e9` spells out a billion repetitions in Python. So before a
grammar is built the schema is walked once, mirroring the converter's own dispatch:

- what can never be satisfied (an empty enum/anyOf/oneOf/type list, `false`, minLength above
  maxLength, minimum above maximum, a required property that is not allowed...) is an error;
- what the converter mishandles is rewritten (`false` branches and optional properties dropped,
  enum values of the wrong type dropped, a small integer range spelled as an enum, a required
  property the schema does not list added, a maxLength/maxItems far above the minimum and a
  pattern the converter cannot take safely left to validation after decoding);
- sizes are bounded (the limits below), and the shortest answer must fit the request's tokens.

Every answer is still validated against the caller's full schema afterwards."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from chi_llm.adapters.llama_cpp.schema_limits import (
    ANY_VALUE,
    FORMATS,
    MAX_ALTERNATIVES,
    MAX_AMBIGUITY,
    MAX_DEPTH,
    MAX_NODES,
    MAX_OPTIONAL,
    MAX_OPTIONAL_REPEAT,
    MAX_PROPERTIES,
    MAX_REPEAT,
    MAX_TOTAL_REPEAT,
    SMALL_RANGE,
    TYPES,
    SchemaProblem,
    bad,
    bound,
    gbnf_pattern,
    json_length,
    matches,
    never,
    pattern_ok,
    whole,
)


class Reducer:
    """One walk over a schema (see the module's docstring). `reduce()` returns the schema to hand
    the converter and the fewest characters any answer needs."""

    def __init__(self, root: Any, *, max_chars: int, patterns: bool = True) -> None:
        self.root = root
        self.max_chars = max_chars
        self.patterns = patterns
        self.nodes = 0
        self.repeats = 0
        self.refs: dict[str, str] = {}  # JSON pointer -> name in $defs
        self.defs: dict[str, Any] = {}
        self.sizes: dict[str, int] = {}  # fewest characters of each finished $defs entry
        self.factors: dict[str, int] = {}  # how much each $defs entry multiplies the alternatives
        self.widest = 1  # the most alternatives multiplied so far
        self.failed: dict[str, SchemaProblem] = {}  # refs whose schema cannot become a grammar

    def reduce(self) -> tuple[dict[str, Any], int]:
        reduced, size = self.node(self.root, "$", 0, 1)
        if self.defs:  # the converter resolves refs only below a root that is not a ref itself
            root = {"anyOf": [reduced]} if "$ref" in reduced else reduced or {"type": "object"}
            reduced = {**root, "$defs": self.defs}
        return reduced, size

    def _repeat(self, path: str, key: str, low: int, high: int | None) -> int | None:
        """Count the repetitions a bound spells out; a maximum far above the minimum is dropped."""
        if high is not None and low > high:
            raise never(path, f"min{key} {low} is above max{key} {high}")
        if low > self.max_chars:
            raise SchemaProblem(f"{path}: min{key} {low} is more than {self.max_chars} characters", kind="fit")
        if low > MAX_REPEAT:
            raise bad(path, f"min{key} {low} is above {MAX_REPEAT}, the most a grammar spells out")
        if high is not None and high - low > MAX_OPTIONAL_REPEAT:
            high = None
        self.repeats += low + (high - low if high is not None else 0)
        if self.repeats > MAX_TOTAL_REPEAT:
            raise bad(path, f"the schema's lengths and item counts add up to more than {MAX_TOTAL_REPEAT}")
        return high

    def _count(self, path: str, depth: int) -> None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise bad(path, f"the schema has more than {MAX_NODES} parts")
        if depth > MAX_DEPTH:
            raise bad(path, f"the schema is nested more than {MAX_DEPTH} levels deep")

    def node(self, node: Any, path: str, depth: int, ambiguity: int) -> tuple[dict[str, Any], int]:
        """One schema: (its reduced form, the fewest characters of a value it allows)."""
        self._count(path, depth)
        if node is True:
            return {}, 2
        if node is False:
            raise never(path, "false allows no value")
        if not isinstance(node, Mapping):
            raise bad(path, f"a schema is an object or a boolean, got {type(node).__name__}")
        if "$ref" in node:
            return self._ref(node["$ref"], path, depth, ambiguity)
        if "anyOf" in node or "oneOf" in node:
            return self._union(node, path, depth, ambiguity)
        kind = node.get("type")
        if isinstance(kind, list):
            return self._types(node, kind, path, depth, ambiguity)
        if kind is not None and kind not in TYPES:
            raise bad(path, f"unknown type {kind!r} (one of {', '.join(TYPES)})")
        if "const" in node or "enum" in node:
            return self._enum(node, kind, path, ambiguity)
        return self._typed(node, kind, path, depth, ambiguity)

    def _typed(
        self, node: Mapping[str, Any], kind: str | None, path: str, depth: int, ambiguity: int
    ) -> tuple[dict[str, Any], int]:
        """The rest of the converter's order: object, allOf, array, string, number, the others."""
        if kind in (None, "object") and (
            "properties" in node or node.get("additionalProperties", True) is not True or "required" in node
        ):
            return self._object(node, path, depth, ambiguity)
        if kind in (None, "object") and "allOf" in node:
            return self._all_of(node, path, depth, ambiguity)
        if kind in (None, "array") and ("items" in node or "prefixItems" in node):
            return self._array(node, path, depth, ambiguity)
        if kind in (None, "string") and ("pattern" in node or "format" in node or kind == "string"):
            return self._string(node, path)
        if kind in ("integer", "number"):
            return self._number_node(node, kind, path)
        if kind in ("boolean", "null"):
            return {"type": kind}, 4
        return {}, 2  # no type and nothing the converter reads: any value (the converter writes an object)

    def _resolve(self, ref: Any, path: str) -> Any:
        """The schema a local `$ref` points at (the caller's, not reduced)."""
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            raise bad(path, f"$ref {ref!r} is not a reference inside the schema ('#/...')")
        target: Any = self.root
        for part in ref[2:].split("/") if ref != "#" else []:
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                raise bad(path, f"$ref {ref!r} points at nothing")
        return target

    def _ref(self, ref: Any, path: str, depth: int, ambiguity: int) -> tuple[dict[str, Any], int]:
        """A reference becomes one entry of `$defs`, walked once (so recursion ends)."""
        target = self._resolve(ref, path)
        if ref in self.failed:
            raise self.failed[ref]
        if ref not in self.refs:
            name = self.refs[ref] = f"chi-ref-{len(self.refs)}"
            outer, self.widest = self.widest, ambiguity
            try:
                self.defs[name], self.sizes[name] = self.node(target, f"{path}($ref {ref})", depth + 1, ambiguity)
            except SchemaProblem as problem:
                self.failed[ref] = problem
                raise
            finally:
                self.factors[name], self.widest = self.widest // ambiguity, max(outer, self.widest)
        name = self.refs[ref]
        self._ambiguous(path, ambiguity * self.factors.get(name, 1))  # used again, deeper in alternatives
        return {"$ref": f"#/$defs/{name}"}, self.sizes.get(name, 0)  # not in sizes yet: recursion

    def _ambiguous(self, path: str, ambiguity: int) -> None:
        self.widest = max(self.widest, ambiguity)
        if ambiguity > MAX_AMBIGUITY:
            raise bad(path, f"alternatives nested in alternatives multiply to more than {MAX_AMBIGUITY}")

    def _alternatives(
        self, options: list[Any], path: str, depth: int, ambiguity: int
    ) -> tuple[list[dict[str, Any]], int]:
        if len(options) > MAX_ALTERNATIVES:
            raise bad(path, f"more than {MAX_ALTERNATIVES} alternatives")
        ambiguity *= len(options)
        self._ambiguous(path, ambiguity)
        kept: list[tuple[dict[str, Any], int]] = []
        first: SchemaProblem | None = None
        for i, option in enumerate(options):
            try:
                kept.append(self.node(option, f"{path}[{i}]", depth + 1, ambiguity))
            except SchemaProblem as problem:
                if not problem.unsatisfiable:
                    raise
                first = first or problem
        if not kept:
            raise first or never(path, "no alternative")
        return [k for k, _ in kept], min(size for _, size in kept)

    def _union(self, node: Mapping[str, Any], path: str, depth: int, ambiguity: int) -> tuple[dict[str, Any], int]:
        for key in ("anyOf", "oneOf"):
            if key in node and not isinstance(node[key], list):
                raise bad(path, f"{key} must be a list of schemas")
            if key in node and not node[key]:
                raise never(f"{path}.{key}", "an empty list allows no value")
        key = "oneOf" if node.get("oneOf") else "anyOf"
        kind = node.get("type")
        branches = node[key]
        if isinstance(kind, str) and kind in TYPES:  # the converter would drop the type beside anyOf
            branches = [{"type": kind, **b} if isinstance(b, Mapping) and "type" not in b else b for b in branches]
        options, size = self._alternatives(branches, f"{path}.{key}", depth, ambiguity)
        return {"anyOf": options}, size

    def _types(
        self, node: Mapping[str, Any], kinds: list[Any], path: str, depth: int, ambiguity: int
    ) -> tuple[dict[str, Any], int]:
        if not kinds:
            raise never(f"{path}.type", "an empty list allows no value")
        unknown = [k for k in kinds if not isinstance(k, str) or k not in TYPES]
        if unknown:
            raise bad(path, f"unknown type {unknown[0]!r} (one of {', '.join(TYPES)})")
        self.nodes -= 1  # each type below is this same schema, narrowed
        options = [{**node, "type": kind} for kind in dict.fromkeys(kinds)]
        if len(options) == 1:
            return self.node(options[0], path, depth, ambiguity)
        reduced, size = self._alternatives(options, f"{path}.type", depth - 1, ambiguity)
        return {"anyOf": reduced}, size

    def _enum(self, node: Mapping[str, Any], kind: str | None, path: str, ambiguity: int) -> tuple[dict[str, Any], int]:
        """const, or enum with the values of another type dropped."""
        if "const" in node:
            if kind is not None and not matches(node["const"], kind):
                raise never(path, f"const {node['const']!r} is not of type {kind}")
            return {"const": node["const"]}, json_length(node["const"])
        values = node["enum"]
        if not isinstance(values, list):
            raise bad(path, "enum must be a list of values")
        if kind is not None:
            values = [v for v in values if matches(v, kind)]
        if not values:
            raise never(f"{path}.enum", "no value is allowed" + (f" of type {kind}" if kind else ""))
        if len(values) > MAX_ALTERNATIVES:
            raise bad(path, f"enum has more than {MAX_ALTERNATIVES} values")
        self._ambiguous(path, ambiguity * len(values))
        return {"enum": values}, min(json_length(v) for v in values)

    def _object(self, node: Mapping[str, Any], path: str, depth: int, ambiguity: int) -> tuple[dict[str, Any], int]:
        properties = node.get("properties", {})
        required = node.get("required", [])
        extra = node.get("additionalProperties", None if "properties" in node else True)
        if not isinstance(properties, Mapping) or not isinstance(required, list):
            raise bad(path, "properties must be an object and required a list of names")
        if not all(isinstance(name, str) for name in required):
            raise bad(path, "required must list property names (strings)")
        required = list(dict.fromkeys(required))
        missing = [name for name in required if name not in properties]
        if missing and extra is False:
            raise never(path, f"required property {missing[0]!r} is not allowed (additionalProperties is false)")
        if len(properties) + len(missing) > MAX_PROPERTIES:
            raise bad(path, f"more than {MAX_PROPERTIES} properties")
        self._counts(node, len(properties) if extra is False else None, len(required), path)
        listed = [*properties.items(), *((name, {} if extra in (None, True) else extra) for name in missing)]
        kept, size = self._properties(listed, set(required), path, depth, ambiguity)
        reduced: dict[str, Any] = {"type": "object", "properties": kept, "required": required}
        if isinstance(extra, Mapping) or extra is True:
            try:
                where = f"{path}.additionalProperties"
                reduced["additionalProperties"], _ = self.node(extra, where, depth + 1, ambiguity)
            except SchemaProblem as problem:
                if not problem.unsatisfiable:
                    raise
        if len(kept) - len(required) + ("additionalProperties" in reduced) > MAX_OPTIONAL:
            raise bad(path, f"more than {MAX_OPTIONAL} optional properties; mark more of them required")
        return reduced, size

    @staticmethod
    def _counts(node: Mapping[str, Any], allowed: int | None, needed: int, path: str) -> None:
        """minProperties/maxProperties against the properties required and allowed."""
        low, high = whole(node, "minProperties", path) or 0, whole(node, "maxProperties", path)
        if high is not None and (low > high or needed > high):
            raise never(path, f"{max(low, needed)} properties are needed but maxProperties is {high}")
        if allowed is not None and low > allowed:
            raise never(path, f"minProperties {low} is more than the {allowed} properties allowed")

    def _properties(
        self, listed: list[tuple[str, Any]], required: set[str], path: str, depth: int, ambiguity: int
    ) -> tuple[dict[str, Any], int]:
        """The properties' reduced schemas (an optional one that can never be valid is left out)
        and the fewest characters of an object with the required ones."""
        kept: dict[str, Any] = {}
        size = 2 + max(len(required) - 1, 0)
        for name, schema in listed:
            try:
                kept[name], fewest = self.node(schema, f"{path}.properties.{name}", depth + 1, ambiguity)
            except SchemaProblem as problem:
                if not problem.unsatisfiable or name in required:
                    raise
                continue
            if name in required:
                size += json_length(name) + 1 + fewest
        return kept, size

    def _all_of(self, node: Mapping[str, Any], path: str, depth: int, ambiguity: int) -> tuple[dict[str, Any], int]:
        """The converter merges the properties of allOf's parts (those of a part's anyOf optional)."""
        parts = node["allOf"]
        if not isinstance(parts, list):
            raise bad(path, "allOf must be a list of schemas")
        properties: dict[str, Any] = {}
        required: list[str] = []
        for part in parts:
            pieces = part.get("anyOf") if isinstance(part, Mapping) else None
            for piece in pieces if isinstance(pieces, list) else [part]:
                for _ in range(MAX_DEPTH):
                    if not (isinstance(piece, Mapping) and "$ref" in piece):
                        break
                    piece = self._resolve(piece["$ref"], path)
                if piece is False:
                    raise never(f"{path}.allOf", "false allows no value")
                if isinstance(piece, Mapping) and isinstance(piece.get("properties"), Mapping):
                    properties.update(piece["properties"])
                    required += list(piece["properties"]) if not isinstance(pieces, list) else []
        merged = {"type": "object", "properties": properties, "required": required, "additionalProperties": False}
        return self._object(merged, path, depth, ambiguity)

    def _array(self, node: Mapping[str, Any], path: str, depth: int, ambiguity: int) -> tuple[dict[str, Any], int]:
        items = node.get("items")
        if isinstance(items, list) or (not items and "prefixItems" in node):  # the converter's choice
            tuple_items = items if isinstance(items, list) else node["prefixItems"]
            if not isinstance(tuple_items, list):
                raise bad(path, "prefixItems must be a list of schemas")
            if len(tuple_items) > MAX_PROPERTIES:
                raise bad(path, f"more than {MAX_PROPERTIES} tuple items")
            walked = [self.node(s, f"{path}.prefixItems[{i}]", depth + 1, ambiguity) for i, s in enumerate(tuple_items)]
            fewest = 2 + sum(size for _, size in walked) + max(len(walked) - 1, 0)
            return {"type": "array", "prefixItems": [s for s, _ in walked]}, fewest
        low, high = whole(node, "minItems", path) or 0, whole(node, "maxItems", path)
        if items is False:
            if low:
                raise never(path, f"minItems {low} but items is false")
            return {"const": []}, 2
        item, size = self.node(items if items is not None else True, f"{path}.items", depth + 1, ambiguity)
        high = self._repeat(path, "Items", low, high)
        reduced: dict[str, Any] = {"type": "array", "items": item or ANY_VALUE, "minItems": low}
        if high is not None:
            reduced["maxItems"] = high
        return reduced, 2 + low * size + max(low - 1, 0)

    def _string(self, node: Mapping[str, Any], path: str) -> tuple[dict[str, Any], int]:
        low, high = whole(node, "minLength", path) or 0, whole(node, "maxLength", path)
        if high is not None and low > high:
            raise never(path, f"minLength {low} is above maxLength {high}")
        if self.patterns and pattern_ok(node.get("pattern")):
            return {"type": "string", "pattern": gbnf_pattern(node["pattern"])}, 2 + low
        fmt = node.get("format")
        if isinstance(fmt, str) and (fmt in FORMATS or re.fullmatch(r"uuid[1-5]?", fmt)):
            return {"type": "string", "format": fmt}, 2 + low
        high = self._repeat(path, "Length", low, high)
        reduced: dict[str, Any] = {"type": "string"}
        if low:
            reduced["minLength"] = low
        if high is not None:
            reduced["maxLength"] = high
        return reduced, 2 + low

    def _number_node(self, node: Mapping[str, Any], kind: str, path: str) -> tuple[dict[str, Any], int]:
        low, high = bound(node, "minimum"), bound(node, "maximum")
        above, below = bound(node, "exclusiveMinimum"), bound(node, "exclusiveMaximum")
        if kind == "integer":  # the whole numbers in range
            bounds = [math.ceil(low) if low is not None else None, math.floor(above) + 1 if above is not None else None]
            tops = [math.floor(high) if high is not None else None, math.ceil(below) - 1 if below is not None else None]
            least = max((b for b in bounds if b is not None), default=None)
            most = min((t for t in tops if t is not None), default=None)
            if least is not None and most is not None:
                if least > most:
                    raise never(path, "no whole number lies between its minimum and maximum")
                if most - least < SMALL_RANGE:
                    return {"enum": list(range(least, most + 1))}, 1
            return {"type": "integer"}, 1
        lowest = max((b for b in (low, above) if b is not None), default=None)
        highest = min((t for t in (high, below) if t is not None), default=None)
        if lowest is not None and highest is not None:
            open_end = (above is not None and above == lowest) or (below is not None and below == highest)
            if lowest > highest or (lowest == highest and open_end):
                raise never(path, "no number lies between its minimum and maximum")
        return {"type": "number"}, 1


def reduce_schema(schema: Any, *, max_chars: int, patterns: bool = True) -> dict[str, Any]:
    """The schema to hand llama.cpp's converter. Raises SchemaProblem when it can never be
    satisfied, is too large for a grammar, or needs more than `max_chars` characters."""
    reduced, fewest = Reducer(schema, max_chars=max_chars, patterns=patterns).reduce()
    if fewest > max_chars:
        raise SchemaProblem(f"its shortest answer is {fewest} characters, more than {max_chars}", kind="fit")
    return reduced
