"""The files a search for documents finds under a folder or in a glob's matches: hidden entries
and what git ignores (git_ignore.py) are left out silently, build output (build_output.py) is
left out and counted, and a folder whose ignore rules cannot be read is skipped saying why."""

from __future__ import annotations

import glob
import os
from collections.abc import Mapping
from pathlib import Path

from chi_llm.adapters.build_output import is_build_file, is_build_folder
from chi_llm.adapters.git_ignore import GitIgnores, IgnoreStack, UnreadableRules
from chi_llm.domain.rag import SkippedFile


def _unreadable(folder: Path, exc: UnreadableRules) -> SkippedFile:
    return SkippedFile(path=str(folder), reason=f"{exc}: skipped, as what it ignores cannot be told apart")


class FolderWalk:
    """One search's walks; `skipped` and `build_output` add up over them."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.ignores = GitIgnores(env)
        self.skipped: list[SkippedFile] = []
        self.build_output = 0  # build-output folders and files passed over

    def folder(self, root: Path) -> list[Path]:
        """The files under `root` (absolute) that git would not ignore, build output left out. A
        folder git ignores is not walked (and is reported): name its files to add them."""
        try:
            why = self.ignores.why_ignored(root, folder=True)
            stacks: dict[Path, IgnoreStack] = {root: self.ignores.inside(root)}
        except UnreadableRules as exc:
            self.skipped.append(_unreadable(root, exc))
            return []
        if why is not None:
            self.skipped.append(
                SkippedFile(path=str(root), reason=f"git ignores it ({why}); name its files to add them")
            )
            return []
        files: list[Path] = []
        for folder, dirs, names in os.walk(root):
            here = Path(folder)
            try:
                stack = stacks[here] if here in stacks else self._entering(here, stacks[here.parent])
            except UnreadableRules as exc:
                self.skipped.append(_unreadable(here, exc))
                dirs[:] = []
                continue
            stacks[here] = stack
            dirs[:] = [d for d in sorted(dirs) if self._kept(here / d, stack, folder=True)]
            files += [here / n for n in sorted(names) if self._kept(here / n, stack, folder=False)]
        return files

    def _entering(self, folder: Path, outer: IgnoreStack) -> IgnoreStack:
        if os.path.lexists(folder / ".git"):  # a nested repository, submodule or worktree: its own rules
            return self.ignores.repository(folder)
        return outer.below(folder)

    def _kept(self, path: Path, stack: IgnoreStack, folder: bool) -> bool:
        if path.name.startswith(".") or stack.why(path, folder) is not None:
            return False
        if is_build_folder(path) if folder else is_build_file(path.name):
            self.build_output += 1
            return False
        return True

    def matches(self, pattern: str) -> list[Path] | None:
        """The files a glob matches that git would not ignore, build output below the pattern's
        fixed part left out; None when it matches nothing at all."""
        matches = [Path(p) for p in sorted(glob.glob(pattern, recursive=True))]
        if not matches:
            return None
        fixed = Path(pattern.split("*")[0].split("?")[0].split("[")[0]).absolute()
        return [m for m in matches if not m.is_dir() and self._match_kept(m.absolute(), fixed)]

    def _match_kept(self, path: Path, fixed: Path) -> bool:
        below = [p for p in path.parents if p.is_relative_to(fixed) and p != fixed]
        if is_build_file(path.name) or any(is_build_folder(p) for p in below):
            self.build_output += 1
            return False
        try:
            return self.ignores.why_ignored(path) is None
        except UnreadableRules as exc:
            self.skipped.append(_unreadable(path, exc))
            return False
