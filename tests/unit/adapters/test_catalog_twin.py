"""The packaged catalog's JSON twin (read at run time) says exactly what models.yaml says."""

from __future__ import annotations

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "catalog_json.py"


def test_models_json_is_generated_from_models_yaml() -> None:
    spec = importlib.util.spec_from_file_location("catalog_json", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    twin = module.ADAPTERS / "models.json"
    assert twin.read_text(encoding="utf-8") == module.render(), (
        "models.json is stale: run `.venv/bin/python scripts/catalog_json.py`"
    )
