"""The tool the golden bridge conversations (tui/protocol/fixtures/tools.jsonl) offer the model:
the replay starts the bridge with `--tool tui/protocol/tools/calc.py:add`."""


def add(a: int, b: int) -> int:
    """Add two whole numbers."""
    return a + b
