"""The knowledge base's walk finds what git itself (the real binary) lists as not ignored."""

from __future__ import annotations

import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.git_repos import found, git_env, write


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return git_env(tmp_path)


NAMES_FOR_GIT = ["a", "b", "ab", "x.md", "c.md", "*", "a b", "]a", "a-", "[a]", "1"]
ATOMS = ["a", "b", "x.md", "*", "**", "?", "/", "[ab]", "[!a]", "[a-c]", "\\*", "\\", "!", "#", " ", "\\ ", ".md"]
ATOMS += ["[[:alpha:]]", "[]a]", "[a-]", "[:", "1", "-"]


@pytest.mark.skipif(shutil.which("git") is None, reason="the cross-check needs git itself")
def test_the_walk_finds_what_git_itself_lists_as_not_ignored(tmp_path: Path, env: dict[str, str]) -> None:
    """Random trees and ignore files at two depths: our walk and `git ls-files -o --exclude-standard`
    agree on every file (a fixed seed, so a failure repeats)."""
    chooser = random.Random(23)  # noqa: S311 (test data, not secrets)
    git_env = {**env, "PATH": os.environ.get("PATH", "")}
    for trial in range(30):
        root = tmp_path / f"t{trial}"
        subprocess.run(["git", "init", "-q", str(root)], check=True, env=git_env)
        for _ in range(20):
            path = root.joinpath(*(chooser.choice(NAMES_FOR_GIT) for _ in range(chooser.randint(1, 4))))
            if not any(p.is_file() for p in (path, *path.parents)) and not path.is_dir():
                write(path)
        folders = sorted(p for p in root.rglob("*") if p.is_dir() and ".git" not in p.parts)
        for folder in [root, *chooser.sample(folders, min(2, len(folders)))]:
            lines = ("".join(chooser.choice(ATOMS) for _ in range(chooser.randint(1, 4))) for _ in range(4))
            (folder / ".gitignore").write_text("\n".join(lines) + "\n")
        listed = subprocess.run(
            ["git", "-C", str(root), "ls-files", "-o", "--exclude-standard", "-z"],
            capture_output=True,
            text=True,
            env=git_env,
            check=True,
        ).stdout
        expected = sorted(n for n in listed.split("\0") if n and not n.endswith(".gitignore"))
        assert found(root, env) == expected, (root / ".gitignore").read_text()
