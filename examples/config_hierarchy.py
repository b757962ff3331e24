"""Where settings come from: arguments > config_path file > environment > project file >
global file > defaults. `chi-llm config show --explain` prints the same table.

Run: python examples/config_hierarchy.py   (writes only in a temporary folder)
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

with tempfile.TemporaryDirectory() as folder:
    project = Path(folder)
    (project / ".chi_llm.json").write_text(json.dumps({"max_tokens": 64, "temperature": 0.2}))
    env = {**os.environ, "CHI_LLM_TEMPERATURE": "0.5"}  # the environment beats the project file
    shown = subprocess.run(
        [sys.executable, "-m", "chi_llm", "config", "show", "--explain", "--json"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    for key, setting in json.loads(shown.stdout).items():
        if setting["source"] != "default":
            print(f"{key:12} = {setting['value']!s:8} from {setting['source']}")

    os.chdir(project)
    from chi_llm import MicroLLM

    llm = MicroLLM(max_tokens=8)  # an argument beats every file and variable
    llm.generate("Hi")
    print("this call used at most 8 tokens:", llm.last_usage.completion_tokens <= 8)
