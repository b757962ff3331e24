"""The provider registry in a fresh interpreter: building the local path loads no HTTP adapter."""

from __future__ import annotations

import subprocess
import sys


def test_building_the_local_path_loads_no_http_adapter() -> None:
    """Cold start: a local generation's wiring imports neither httpx nor any HTTP provider."""
    code = (
        "import sys\n"
        "from chi_llm.entrypoints.wiring import wire\n"
        "wire().generator().primary\n"
        "loaded = sorted(m for m in sys.modules if m == 'httpx' or m.startswith('chi_llm.adapters.providers.http')\n"
        "    or m in ('chi_llm.adapters.providers.anthropic', 'chi_llm.adapters.providers.ollama',\n"
        "             'huggingface_hub'))\n"
        "print(','.join(loaded))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
