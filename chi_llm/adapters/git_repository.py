"""Where git keeps a repository's ignore rules, found without a git binary: the repository a
folder is in (the nearest folder holding `.git`, a folder or, for a worktree or a submodule, a
file `gitdir: PATH`), its `info/exclude` (in the common git folder a worktree shares) and the
global excludes file (`core.excludesFile` from the system, global and repository configuration,
default `$XDG_CONFIG_HOME/git/ignore`, else `~/.config/git/ignore`)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from chi_llm.adapters.regular_files import read_regular

SMALL_FILE = 1 << 20  # a `.git` file, `commondir` or a configuration file; anything larger is not one
_INCLUDE_DEPTH = 10  # git's own limit on nested [include] files


def repository_root(folder: Path) -> Path | None:
    """The working tree `folder` is in: the nearest folder (itself or above) holding `.git`."""
    for candidate in (folder, *folder.parents):
        if os.path.lexists(candidate / ".git"):
            return candidate
    return None


def _small_text(path: Path) -> str | None:
    """A small regular file's text (None when it is absent, not a regular file or too large)."""
    try:
        data = read_regular(path, SMALL_FILE)
    except (OSError, ValueError):
        return None
    return bytes(data).decode("utf-8", "surrogateescape") if isinstance(data, bytearray) else None


def common_git_dir(root: Path) -> Path | None:
    """The git folder holding `info/` and `config` for the working tree at `root`: `.git` itself,
    or what a `.git` file points to (`gitdir: PATH`), followed to the folder a worktree shares
    with its main repository (`commondir`)."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        git_dir = dot_git
    else:
        text = _small_text(dot_git) or ""
        first = text.splitlines()[0] if text else ""
        if not first.startswith("gitdir:"):
            return None
        git_dir = root / first[len("gitdir:") :].strip()
    common = (_small_text(git_dir / "commondir") or "").strip()
    return git_dir / common if common else git_dir


def _config_value(raw: str) -> str:
    """A configuration value: quotes removed, escapes read, an unquoted `#` or `;` ends it."""
    out: list[str] = []
    quoted = False
    chars = iter(raw.strip())
    for char in chars:
        if char == "\\":
            following = next(chars, "")
            out.append({"n": "\n", "t": "\t", "b": "\b"}.get(following, following))
        elif char == '"':
            quoted = not quoted
        elif char in "#;" and not quoted:
            break
        else:
            out.append(char)
    return "".join(out).strip() if not quoted else "".join(out)


def _excludes_in(path: Path, env: Mapping[str, str], depth: int = 0) -> str | None:
    """The last `core.excludesFile` a configuration file (and the files it includes) sets."""
    text = _small_text(path)
    if text is None or depth > _INCLUDE_DEPTH:
        return None
    found: str | None = None
    section = ""
    for line in text.replace("\\\n", "").splitlines():
        line = line.strip()
        if line.startswith("["):
            header, _, line = line[1:].partition("]")
            section = header.strip().lower()
            line = line.strip()
        key, sep, value = line.partition("=")
        key = key.strip().lower()
        if not sep or key.startswith(("#", ";")):
            continue
        if section == "core" and key == "excludesfile":
            found = _config_value(value)
        elif section == "include" and key == "path":
            included = Path(_expand(_config_value(value), env))
            found = _excludes_in(path.parent / included, env, depth + 1) or found
    return found


def _expand(value: str, env: Mapping[str, str]) -> str:
    home = env.get("HOME") or os.path.expanduser("~")
    return home + value[1:] if value == "~" or value.startswith("~/") else value


def _xdg_config(env: Mapping[str, str]) -> Path:
    xdg = env.get("XDG_CONFIG_HOME")
    return Path(xdg) if xdg else Path(_expand("~/.config", env))


def _config_files(env: Mapping[str, str], common: Path | None) -> list[Path]:
    """git's configuration files, lowest precedence first: system, global, the repository's."""
    files: list[Path] = []
    if env.get("GIT_CONFIG_NOSYSTEM", "").lower() not in ("1", "true", "yes", "on"):
        files.append(Path(env.get("GIT_CONFIG_SYSTEM") or "/etc/gitconfig"))
    if env.get("GIT_CONFIG_GLOBAL"):
        files.append(Path(_expand(env["GIT_CONFIG_GLOBAL"], env)))
    else:
        files += [_xdg_config(env) / "git" / "config", Path(_expand("~/.gitconfig", env))]
    if common is not None:
        files.append(common / "config")
    return files


def global_excludes_file(env: Mapping[str, str], root: Path, common: Path | None) -> Path:
    """The global excludes file git reads for the repository at `root`."""
    chosen: str | None = None
    for config in _config_files(env, common):
        chosen = _excludes_in(config, env) or chosen
    if chosen is None:
        return _xdg_config(env) / "git" / "ignore"
    return root / _expand(chosen, env)  # an absolute path stays itself
