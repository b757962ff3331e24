"""The paths git ignores, decided as git does without a git binary (patterns read and matched
as gitignore_patterns.py says: `!` negation, anchored patterns, `dir/`, `**`, escapes).

Inside a repository the rules for a path are, highest precedence first: the `.gitignore` of its
own folder, then those of each folder above it up to the repository root, then `info/exclude`,
then the global excludes file; within one file the last matching pattern decides. A path in an
ignored folder is ignored whatever a pattern says about the path itself (a walk never enters an
ignored folder; `why_ignored` checks every folder on the way). A folder holding `.git` (a
nested repository, a submodule or worktree checkout) starts its own rules. Outside any
repository only the `.gitignore` files at and below the folder walked apply."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from chi_llm.adapters.git_repository import common_git_dir, global_excludes_file, repository_root
from chi_llm.adapters.gitignore_patterns import Pattern, parse
from chi_llm.adapters.regular_files import read_regular

MAX_IGNORE_BYTES = 8 << 20


class UnreadableRules(Exception):
    """An ignore file exists but cannot be read: what it would hide cannot be told apart."""

    def __init__(self, path: Path, why: str) -> None:
        super().__init__(f"{path} cannot be read ({why})")
        self.path = path


@dataclass(frozen=True, slots=True)
class Rules:
    """One ignore file's patterns, matched against paths relative to `base`."""

    source: Path
    base: Path
    patterns: tuple[Pattern, ...]

    def verdict(self, path: Path, folder: bool) -> Pattern | None:
        """The pattern that decides for the path (the last that matches), or None."""
        try:
            relative = path.relative_to(self.base).as_posix()
        except ValueError:
            return None
        return next((p for p in reversed(self.patterns) if p.matches(relative, folder)), None)


def read_rules(source: Path, base: Path) -> Rules | None:
    """The rules of the ignore file `source` (None when there is none or it holds no pattern)."""
    try:
        data = read_regular(source, MAX_IGNORE_BYTES)
    except (FileNotFoundError, NotADirectoryError):  # no such file: no rules
        return None
    except (OSError, ValueError) as exc:
        raise UnreadableRules(source, getattr(exc, "strerror", None) or str(exc)) from exc
    if not isinstance(data, bytearray):
        if data.kind == "a folder":  # not a file: git reads no rules from it
            return None
        raise UnreadableRules(source, str(data))
    lines = bytes(data).decode("utf-8", "surrogateescape").split("\n")
    patterns = tuple(p for p in map(parse, lines) if p is not None)
    return Rules(source=source, base=base, patterns=patterns) if patterns else None


@dataclass(frozen=True, slots=True)
class IgnoreStack:
    """The rules that apply inside one folder, lowest precedence first."""

    rules: tuple[Rules, ...] = ()

    def why(self, path: Path, folder: bool = False) -> str | None:
        """The rule that makes git ignore `path` (`"secret/" in /repo/.gitignore`), else None."""
        for rules in reversed(self.rules):
            decided = rules.verdict(path, folder)
            if decided is not None:
                return None if decided.negated else f"{decided.text.strip()!r} in {rules.source}"
        return None

    def below(self, folder: Path) -> IgnoreStack:
        """The rules inside `folder`, a folder just below this one: its `.gitignore` added."""
        own = read_rules(folder / ".gitignore", folder)
        return IgnoreStack((*self.rules, own)) if own is not None else self


class GitIgnores:
    """Ignore rules for the folders of one search, each folder's read once."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env
        self._stacks: dict[Path, IgnoreStack] = {}

    def repository(self, root: Path) -> IgnoreStack:
        """The rules at the root of the working tree `root`: global excludes, info/exclude, its .gitignore."""
        common = common_git_dir(root)
        sources = [global_excludes_file(self.env, root, common)]
        if common is not None:
            sources.append(common / "info" / "exclude")
        base = tuple(r for r in (read_rules(s, root) for s in sources) if r is not None)
        return IgnoreStack(base).below(root)

    def inside(self, folder: Path) -> IgnoreStack:
        """The rules that apply to the entries of `folder` (an absolute path)."""
        if folder in self._stacks:
            return self._stacks[folder]
        root = repository_root(folder)
        if root == folder:
            stack = self.repository(folder)
        elif root is None:
            stack = IgnoreStack().below(folder)  # outside any repository: the folder's own .gitignore
        else:
            stack = self.inside(folder.parent).below(folder)
        self._stacks[folder] = stack
        return stack

    def why_ignored(self, path: Path, folder: bool = False) -> str | None:
        """Why git ignores `path` (an absolute path) or a folder it is in; None when it does not."""
        root = repository_root(path.parent)
        if root is None or (folder and os.path.lexists(path / ".git")):  # a repository of its own
            return None
        for ancestor in reversed(path.parents):
            if ancestor != root and ancestor.is_relative_to(root):
                reason = self.inside(ancestor.parent).why(ancestor, folder=True)
                if reason is not None:
                    return reason
        return self.inside(path.parent).why(path, folder)
