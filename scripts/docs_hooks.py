"""mkdocs hooks (mkdocs.yml `hooks:`): the generated reference pages (scripts/gen_docs.py) join the
site's files on every build, made from the code of this checkout. They exist only in the built
site: nothing generated is written into docs/ or committed, so it cannot go stale."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

sys.path.insert(0, str(Path(__file__).resolve().parent))
import gen_docs  # scripts/ is not a package: found through the path above


def on_files(files: Files, config: Any) -> Files:
    for path, text in gen_docs.pages().items():
        files.append(File.generated(config, path, content=text))
    return files
