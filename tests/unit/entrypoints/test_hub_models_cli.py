"""Models pulled by hub reference (`hf:owner/repo/file.gguf[@rev]`, `hf:owner/repo`) through the
CLI, against the hub stand-in (HF_ENDPOINT on loopback): verified by the hub's LFS sha256,
resumable, listed, removable."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from chi_llm.adapters.fake import InMemoryCatalog
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.adapters.models.hf_hub import HfHub
from chi_llm.adapters.models.hf_source import HfModelSource
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.models.spec import FetchProgress, HfSource, ModelSpec
from tests.support.cli import out, run
from tests.support.hub_quants import DATA, QUANTS, REPO, quant_hub
from tests.support.hub_server import Hub


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hub]:
    with quant_hub(monkeypatch) as hub:
        yield hub


REF = f"hf:{REPO}/tiny-Q4_K_M.gguf"


def done(result_stdout: str) -> dict[str, object]:
    event: dict[str, object] = json.loads(result_stdout.splitlines()[-1])
    return event


def test_a_named_file_is_downloaded_verified_listed_and_removed(hub: Hub) -> None:
    result = run("models", "download", REF, "--json")
    assert result.exit_code == 0, result.output
    event = done(out(result))
    path = Path(str(event["path"]))
    assert event["model"] == REF and path.read_bytes() == QUANTS["tiny-Q4_K_M.gguf"]
    assert path.name == "org--Tiny-GGUF--tiny-Q4_K_M.gguf"  # two repositories' files of one name never meet
    listed = {r["id"]: r for r in json.loads(out(run("models", "list", "--json")))}
    assert listed[REF]["downloaded"] and listed[REF]["quantization"] == "Q4_K_M" and listed[REF]["source"] == REF
    assert json.loads(out(run("models", "list", "--downloaded", "--json")))[0]["id"] == REF
    assert run("models", "verify", REF).exit_code == 0
    assert json.loads(out(run("models", "info", REF, "--json")))["downloaded"] is True
    gets = len(hub.requests)
    assert run("models", "download", REF).exit_code == 0 and len(hub.requests) == gets  # here: no network
    removed = run("models", "remove", REF, "--yes")
    assert removed.exit_code == 0 and "freed" in removed.stderr and not path.exists()
    assert REF not in {r["id"] for r in json.loads(out(run("models", "list", "--json")))}
    assert [p.name for p in path.parent.iterdir() if p.name != ".downloads"] == []  # no stamp or record left


def test_a_repository_reference_takes_the_largest_quantization_that_fits_and_says_why(hub: Hub) -> None:
    result = run("models", "download", f"hf:{REPO}")
    assert result.exit_code == 0, result.output
    assert "chose tiny-Q8_0.gguf (Q8_0" in result.stderr and "largest that fits" in result.stderr
    assert "org--Tiny-GGUF--tiny-Q8_0.gguf" in result.stderr  # the projector, shards and F16 are passed over
    listed = {r["id"] for r in json.loads(out(run("models", "list", "--downloaded", "--json")))}
    assert listed == {f"hf:{REPO}/tiny-Q8_0.gguf"}
    listing = [p for method, p, _ in hub.requests if p.startswith(f"/api/models/{REPO}")]
    assert listing and "blobs=true" in listing[0]  # the LFS sha256 of every file, as model_info asks it
    gets = len(hub.requests)  # downloaded once: the repository reference now means that file
    again = done(out(run("models", "download", f"hf:{REPO}", "--json")))
    assert again["model"] == f"hf:{REPO}/tiny-Q8_0.gguf" and len(hub.requests) == gets


def test_no_quantization_that_fits_is_a_clear_error(hub: Hub) -> None:
    for name in QUANTS:
        hub.size_override[(REPO, name)] = 1 << 50  # a petabyte each, as the hub reports them
    result = run("models", "download", f"hf:{REPO}")
    assert result.exit_code == 7 and "no quantization" in result.stderr and "fits this machine" in result.stderr


def test_the_hubs_sha256_is_checked(hub: Hub) -> None:
    hub.etag_override[(REPO, "tiny-Q4_K_M.gguf")] = "0" * 64  # the LFS metadata disagrees with the bytes
    result = run("models", "download", REF)
    assert result.exit_code == 4 and "sha256" in result.stderr and "nothing was installed" in result.stderr
    assert json.loads(out(run("models", "list", "--downloaded", "--json"))) == []


@pytest.mark.parametrize(
    ("reference", "code", "words"),
    [
        ("hf:org/Tiny-GGUF/../x.gguf", 2, "inside the repository"),
        ("hf:org/Tiny-GGUF/sub/./x.gguf", 2, "inside the repository"),
        ("hf:org/Tiny-GGUF/README.md", 2, "name a .gguf file"),
        ("hf:org", 2, "not a hub reference"),
        ("hf:org/Tiny-GGUF/x.gguf@../main", 2, "revision"),
        ("hf:nobody/nothing", 3, "was not found"),
        ("hf:nobody/nothing/x.gguf", 3, "was not found"),
        ("hf:org/Tiny-GGUF/absent.gguf", 3, "has no file"),
    ],
)
def test_bad_references_are_clear_errors(hub: Hub, reference: str, code: int, words: str) -> None:
    result = run("models", "download", reference)
    assert result.exit_code == code and words in result.stderr, result.output
    assert "Traceback" not in result.output and "unknown model" not in result.stderr


def test_a_repository_without_a_single_file_model_says_so(hub: Hub) -> None:
    hub.add("org/Split", "m-00001-of-00002.gguf", DATA)
    hub.add("org/Split", "m-00002-of-00002.gguf", DATA)
    result = run("models", "download", "hf:org/Split")
    assert result.exit_code == 3 and "split" in result.stderr and "hf:owner/repo/file.gguf" in result.stderr


def test_generate_with_a_reference_that_cannot_be_had_names_it(hub: Hub) -> None:
    result = run("generate", "--model", f"hf:{REPO}/absent.gguf", "Hi")
    assert result.exit_code == 3 and "has no file absent.gguf" in result.stderr
    assert "no model file" not in result.stderr


def test_a_hub_reference_can_be_the_default_model(hub: Hub) -> None:
    assert run("models", "set", REF, "--no-download").exit_code == 0
    assert json.loads(out(run("models", "current", "--json")))["id"] == REF
    assert run("models", "set", "hf:org/x/../y.gguf").exit_code == 2


def test_a_catalog_model_without_a_sha256_keeps_the_one_first_downloaded(
    hub: Hub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = tmp_path / "catalog.yaml"
    entry = {"id": "tiny", "name": "Tiny", "source": REF, "size_bytes": 200_000}  # no sha256, like most entries
    catalog.write_text(json.dumps({"models": [entry]}))
    monkeypatch.setenv("CHI_LLM_MODELS_YAML", str(catalog))
    path = Path(str(done(out(run("models", "download", "tiny", "--json")))["path"]))
    stamp = path.with_name(f".{path.name}.verified")
    stamp.unlink()  # the stamp is only a cache: the record beside the file still holds the sha256
    path.write_bytes(b"X" + QUANTS["tiny-Q4_K_M.gguf"][1:])
    checked = run("models", "verify", "tiny")
    assert checked.exit_code == 4 and "DAMAGED" in checked.stdout
    path.unlink()
    hub.files[(REPO, "tiny-Q4_K_M.gguf")] = b"Y" + QUANTS["tiny-Q4_K_M.gguf"][1:]  # replaced upstream
    refused = run("models", "download", "tiny")
    assert refused.exit_code == 4 and "was recorded when it was first downloaded" in refused.stderr
    assert "chi-llm models remove tiny" in refused.stderr and not path.exists()
    assert run("models", "remove", "tiny", "--yes").exit_code == 0  # forgets it: the new file is taken
    assert run("models", "download", "tiny").exit_code == 0 and path.read_bytes()[:1] == b"Y"


def test_an_interrupted_hub_download_resumes(hub: Hub, tmp_path: Path) -> None:
    def interrupt(event: FetchProgress) -> None:
        if event.phase == "download" and event.done > 100_000:
            raise KeyboardInterrupt

    def store(progress: object = None) -> ModelStore:
        return ModelStore(
            InMemoryCatalog(
                ModelSpec(id="other", name="Other", source=HfSource(repo="o/r", filename="o.gguf"), filename="o.gguf")
            ),
            LocalModelFiles(tmp_path / "models"),
            {"hf": HfModelSource()},
            progress=progress or (lambda _: None),  # type: ignore[arg-type]
            hub=HfHub(),
        )

    ref = f"hf:{REPO}/tiny-Q8_0.gguf"
    with pytest.raises(KeyboardInterrupt):
        store(interrupt).locate(ref)
    hub.requests.clear()
    path = store().locate(ref)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == hashlib.sha256(DATA).hexdigest()
    ranges = [r for method, _, r in hub.requests if method == "GET" and r]
    assert ranges and int(ranges[0].split("=")[1].rstrip("-")) >= 100_000


def test_a_hub_file_replaced_upstream_is_refused_before_it_is_fetched(hub: Hub) -> None:
    path = Path(str(done(out(run("models", "download", REF, "--json")))["path"]))
    path.unlink()  # gone (deleted by hand); its record stays
    hub.files[(REPO, "tiny-Q4_K_M.gguf")] = b"Z" + QUANTS["tiny-Q4_K_M.gguf"][1:]
    hub.requests.clear()
    refused = run("models", "download", REF)
    assert refused.exit_code == 4 and "was recorded when it was first downloaded" in refused.stderr
    assert not [p for method, p, _ in hub.requests if method == "GET" and "/resolve/" in p]  # nothing fetched
    assert run("models", "remove", f"hf:{REPO}", "--yes").exit_code == 2  # a repository: name the file
    assert run("models", "remove", REF, "--yes").exit_code == 0
    assert run("models", "download", REF).exit_code == 0 and path.read_bytes()[:1] == b"Z"
