"""Regenerate chi_llm/adapters/models/models.json from models.yaml (the file people edit).

The package reads the JSON twin at run time, so a cold start does not import PyYAML for the
packaged catalog; tests/unit/adapters/test_catalog_twin.py fails when the two differ.
Usage: .venv/bin/python scripts/catalog_json.py
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ADAPTERS = Path(__file__).resolve().parent.parent / "chi_llm" / "adapters" / "models"


def render() -> str:
    data = yaml.safe_load((ADAPTERS / "models.yaml").read_text(encoding="utf-8"))
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    (ADAPTERS / "models.json").write_text(render(), encoding="utf-8")
    print("wrote", ADAPTERS / "models.json")
