"""A folder or glob added to a knowledge base leaves out what git ignores there, decided as git
does (no git binary needed): every .gitignore from the repository root down, info/exclude, the
global excludes file; negation, anchoring, `dir/`, `**` and escapes; a re-included file in an
ignored folder stays out; a worktree or submodule `.git` file starts a repository. Build output
is passed over and counted, not listed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from chi_llm.adapters.document_loader import FileLoader
from chi_llm.domain.rag import FoundFiles
from tests.support.git_repos import found, git_env, write


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return git_env(tmp_path)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git" / "info").mkdir(parents=True)
    return root


def test_adding_a_subfolder_honours_the_repository_root_gitignore(repo: Path, env: dict[str, str]) -> None:
    write(repo / ".gitignore", "secret/\n*.log\n")
    for name in ("docs/a.md", "docs/secret/b.md", "docs/c.log", "docs/deeper/d.md"):
        write(repo / name)
    assert found(repo, env, "docs") == ["docs/a.md", "docs/deeper/d.md"]
    assert found(repo, env, "docs/**/*.md") == ["docs/a.md", "docs/deeper/d.md"]  # a glob's matches too


def test_info_exclude_and_the_global_excludes_file_apply(repo: Path, env: dict[str, str], tmp_path: Path) -> None:
    write(repo / ".git" / "info" / "exclude", "# local\nprivate.md\n")
    for name in ("docs/a.md", "docs/private.md", "docs/draft.tmp", "docs/notes.bak"):
        write(repo / name)
    write(tmp_path / "xdg" / "git" / "ignore", "*.tmp\n")  # the default global excludes file
    assert found(repo, env, "docs") == ["docs/a.md", "docs/notes.bak"]
    write(Path(env["HOME"]) / ".gitconfig", '[user]\n\tname = x\n[core]\n\texcludesFile = "~/my ignores" ; set\n')
    write(Path(env["HOME"]) / "my ignores", "*.bak\n")  # core.excludesFile replaces the default
    assert found(repo, env, "docs") == ["docs/a.md", "docs/draft.tmp"]
    write(repo / ".git" / "config", "[core]\n\texcludesfile =\n[include]\n\tpath = extra.config\n")
    write(repo / ".git" / "extra.config", f"[Core]\n    ExcludesFile = {tmp_path / 'xdg' / 'git' / 'ignore'}\n")
    assert found(repo, env, "docs") == ["docs/a.md", "docs/notes.bak"]  # the repository's own config wins


def test_a_deeper_gitignore_overrides_one_above_but_cannot_reinclude_from_an_ignored_folder(
    repo: Path, env: dict[str, str]
) -> None:
    write(repo / ".gitignore", "*.log\nsecret/\n!secret/kept.md\n")
    write(repo / "docs" / ".gitignore", "!keep.log\n!secret/\n!secret/b.md\n")
    for name in ("docs/keep.log", "docs/other.log", "docs/secret/b.md", "secret/kept.md", "top.md"):
        write(repo / name)
    # docs/.gitignore's `!secret/` re-includes docs/secret: git's precedence is the deepest file first
    assert found(repo, env) == ["docs/keep.log", "docs/secret/b.md", "top.md"]
    write(repo / "docs" / ".gitignore", "!keep.log\n!secret/b.md\n")  # the file alone cannot come back
    assert found(repo, env) == ["docs/keep.log", "top.md"]
    assert found(repo, env, "docs/secret/b.md") == ["docs/secret/b.md"]  # a file named on its own is read
    assert found(repo, env, "**/*.md") == ["top.md"]


NAMES = ("top.md", "a/top.md", "a/b/c/deep.md", "x.md", "notes", "#hash.md", "!bang.md", "space.md ")


@pytest.mark.parametrize(
    ("patterns", "ignored"),
    [
        ("/top.md\n", ["top.md"]),  # anchored at the .gitignore's folder
        ("a/top.md\n", ["a/top.md"]),  # a slash in the middle anchors too
        ("notes/\n", []),  # `notes/` matches folders only
        ("top.md\n", ["top.md", "a/top.md"]),  # no slash: at any depth
        ("a/**/deep.md\n**/x.md\n", ["a/b/c/deep.md", "x.md"]),
        (
            "\\#hash.md\n\\!bang.md\nspace.md\\ \ntop.md   \n",
            ["#hash.md", "!bang.md", "space.md ", "top.md", "a/top.md"],
        ),
        ("*.md\n!/x.md\n", ["top.md", "a/top.md", "a/b/c/deep.md", "#hash.md", "!bang.md"]),
        (
            "bad\\\n*.md\n",
            ["top.md", "a/top.md", "a/b/c/deep.md", "x.md", "#hash.md", "!bang.md"],
        ),  # a pattern git rejects is left out
        ("[!t]*.md\n", ["a/b/c/deep.md", "x.md", "#hash.md", "!bang.md"]),
    ],
)
def test_gitignore_pattern_semantics(repo: Path, env: dict[str, str], patterns: str, ignored: list[str]) -> None:
    write(repo / ".gitignore", patterns)
    for name in NAMES:
        write(repo / name)
    assert found(repo, env) == sorted(set(NAMES) - set(ignored))


def test_a_worktree_git_file_is_a_repository_root_using_the_shared_info_exclude(
    tmp_path: Path, env: dict[str, str]
) -> None:
    main = tmp_path / "main"
    write(main / ".git" / "info" / "exclude", "*.log\n")
    write(main / ".git" / "worktrees" / "wt" / "commondir", "../..\n")
    tree = tmp_path / "wt"
    write(tree / ".git", f"gitdir: {main / '.git' / 'worktrees' / 'wt'}\n")
    write(tree / ".gitignore", "/build.md\n")
    write(tmp_path / ".gitignore", "*.md\n")  # above the worktree: not its repository's rules
    for name in ("docs/a.md", "docs/b.log", "build.md", "docs/build.md"):
        write(tree / name)
    assert found(tree, env, "docs") == ["docs/a.md", "docs/build.md"]
    assert found(tree, env) == ["docs/a.md", "docs/build.md"]


def test_a_git_file_pointing_nowhere_still_marks_the_root(tmp_path: Path, env: dict[str, str]) -> None:
    tree = tmp_path / "moved"
    write(tree / ".git", "gitdir: /nowhere/.git/worktrees/moved\n")  # a worktree whose repository moved
    write(tree / ".gitignore", "*.log\n")
    write(tree / "docs" / "a.md")
    write(tree / "docs" / "b.log")
    write(tree / "plain" / ".git", "not a git file\n")
    write(tree / "plain" / "c.log")
    assert found(tree, env, "docs") == ["docs/a.md"]
    assert found(tree, env, "plain") == ["plain/c.log"]  # a repository of its own: the outer rules stop


def test_a_submodule_has_its_own_rules_and_a_folder_git_ignores_is_not_walked(repo: Path, env: dict[str, str]) -> None:
    write(repo / ".gitignore", "*.txt\nvendor/\n")
    write(repo / ".git" / "modules" / "lib" / "info" / "exclude", "*.rst\n")
    write(repo / "lib" / ".git", "gitdir: ../.git/modules/lib\n")
    for name in ("lib/a.txt", "lib/b.rst", "lib/c.md", "vendor/v.md"):
        write(repo / name)
    assert found(repo, env) == ["lib/a.txt", "lib/c.md"]
    result = FileLoader(env=env).find([str(repo / "vendor")])
    assert result.files == () and len(result.skipped) == 1
    assert (
        result.skipped[0].reason == f"git ignores it ('vendor/' in {repo / '.gitignore'}); name its files to add them"
    )


def test_outside_a_repository_only_the_folders_own_gitignore_files_apply(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path / "plain" / ".gitignore", "*.md\n")  # above the folder added, and no repository: not git's rule
    write(tmp_path / "plain" / "docs" / ".gitignore", "*.log\n")
    write(tmp_path / "plain" / "docs" / "a.md")
    write(tmp_path / "plain" / "docs" / "b.log")
    assert found(tmp_path / "plain" / "docs", env) == ["a.md"]


def test_a_gitignore_that_cannot_be_read_skips_its_folder_saying_why(repo: Path, env: dict[str, str]) -> None:
    write(repo / "docs" / "a.md")
    write(repo / "docs" / "private" / "b.md")
    os.mkfifo(repo / "docs" / "private" / ".gitignore")
    result = FileLoader(env=env).find([str(repo / "docs")])
    assert [p.name for p in result.files] == ["a.md"]
    assert [s.path for s in result.skipped] == [str(repo / "docs" / "private")]
    assert "cannot be read (not a regular file (a FIFO))" in result.skipped[0].reason


def test_build_output_is_passed_over_and_counted_not_listed(repo: Path, env: dict[str, str]) -> None:
    for name in (
        "src/app.py",
        "src/__pycache__/app.cpython-311.pyc",
        "src/__pycache__/util.cpython-311.pyc",
        "src/stray.pyc",
        "web/node_modules/pkg/index.js",
        "rust/target/debug/app",
        "dist/pkg-1.0.tar.gz",
        "env/pyvenv.cfg",
        "env/lib/site.py",
        "cache/CACHEDIR.TAG",
        "pkg.egg-info/PKG-INFO",
    ):
        write(repo / name)
    result: FoundFiles = FileLoader(env=env).find([str(repo)])
    assert [p.relative_to(repo).as_posix() for p in result.files] == ["src/app.py"]
    assert result.skipped == () and result.build_output == 8  # 7 folders and one stray .pyc
    assert FileLoader(env=env).find([f"{repo}/src/**/*"]).build_output == 3


@pytest.mark.parametrize(
    ("pattern", "name", "matched"),
    [
        ("[]a]x", "]x", True),  # `]` first in a bracket is a character
        ("[!]a]x", "bx", True),
        ("[[:digit:]]x", "7x", True),
        ("[[:digit:]]x", "ax", False),
        ("[[:nope:]]x", "ax", False),  # an unknown class: the pattern matches nothing, as in git
        ("[[:a]x", "[x", True),  # no `:]` before the first `]`: the `[` is a character
        ("[a-]x", "-x", True),
        ("[\\]]x", "]x", True),
        ("[abc", "[abc", False),  # unclosed: nothing
        ("a\\", "a", False),  # a trailing backslash: nothing
        ("/a?c", "a/c", False),  # `?` and brackets never match a slash
        ("/x[!b]y", "x/y", False),
        ("/x[!b]y", "xay", True),
        ("/a/**/b", "a/x/y/b", True),
        ("/a/*/b", "a/x/y/b", False),
    ],
)
def test_wildmatch_details(pattern: str, name: str, matched: bool) -> None:
    from chi_llm.adapters.gitignore_patterns import parse

    parsed = parse(pattern)
    assert (parsed is not None and parsed.matches(name, folder=False)) is matched
