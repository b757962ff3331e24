"""The distribution: `python -m build` makes an sdist and a wheel that `twine check` accepts, the
wheel carries every data file, and it installs into a fresh virtualenv that generates with zero
configuration — run from the installed package, not from this checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import chi_llm

ROOT = Path(__file__).resolve().parents[2]
IGNORED = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis", "target"
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """sdist and wheel, built from a copy of the source tree (the checkout stays clean)."""
    work = tmp_path_factory.mktemp("dist")
    source = work / "src"
    shutil.copytree(ROOT, source, ignore=IGNORED)
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(work / "out"), str(source)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return work / "out"


def test_build_makes_an_sdist_and_a_wheel_that_twine_accepts(dist: Path) -> None:
    version = chi_llm.__version__
    names = sorted(p.name for p in dist.iterdir())
    assert names == [f"chi_llm-{version}-py3-none-any.whl", f"chi_llm-{version}.tar.gz"]
    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dist.iterdir())], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_wheel_carries_its_data_files_and_only_the_package(dist: Path) -> None:
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    for data in (
        "chi_llm/py.typed",
        "chi_llm/adapters/models/models.yaml",
        "chi_llm/adapters/models/models.json",
        "chi_llm/schemas/diagnostics-1.json",
    ):
        assert data in names
    assert {n.split("/")[0] for n in names} == {"chi_llm", f"chi_llm-{chi_llm.__version__}.dist-info"}
    metadata = zipfile.ZipFile(wheel).read(f"chi_llm-{chi_llm.__version__}.dist-info/METADATA").decode()
    assert f"Version: {chi_llm.__version__}" in metadata and "Provides-Extra: rag" in metadata


def test_the_wheel_installs_into_a_fresh_virtualenv_and_generates(
    dist: Path, tmp_path: Path, default_model_path: Path
) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    house, pin = subprocess.run(
        ["bash", str(ROOT / "scripts" / "llama_wheel.sh"), str(python)],
        check=True,
        capture_output=True,
        text=True,
        timeout=1800,
    ).stdout.split()
    wheel = next(dist.glob("*.whl"))
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--find-links", house, str(wheel), pin],
        check=True,
        capture_output=True,
        timeout=900,
    )
    home = str(default_model_path.parent.parent)  # the embedded model, fetched once for the suite
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "HOME": os.environ["HOME"],
        "CHI_LLM_HOME": home,
        "XDG_CONFIG_HOME": str(tmp_path / "xdg"),
    }
    code = (
        "import chi_llm, json\n"
        "from chi_llm import MicroLLM\n"
        "text = MicroLLM().generate('Say hi', max_tokens=4, temperature=0)\n"
        "print(json.dumps({'file': chi_llm.__file__, 'text': text}))\n"
    )
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert shown["file"].startswith(str(venv)) and shown["text"].strip()
    cli = subprocess.run(
        [str(venv / "bin" / "chi-llm"), "diagnostics", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
        env=env,
    )
    report = json.loads(cli.stdout)
    assert report["format"] == "chi_llm.diagnostics/1" and report["checks"]
