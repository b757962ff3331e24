"""The bridge as a process: a project write that differs from its preview is refused."""

from __future__ import annotations

from pathlib import Path

from tests.support.bridge import converse, request


def test_a_write_that_differs_from_the_preview_is_refused(isolated: Path) -> None:
    folder = isolated / "app"
    folder.mkdir()
    (folder / ".chi_llm.yaml").write_text("max_tokens: 9\n")
    (folder / ".env.sample").write_text("MINE=1\n")
    shown = converse(request(1, "bootstrap/preview", path=str(folder)))[1]["result"]
    assert [f["action"] for f in shown["files"]] == ["skip", "skip", "create"] and not shown["force"]
    refused = converse(request(2, "bootstrap/write", path=str(folder), force=True, expect=shown["digest"]))[2]
    assert refused["error"]["data"]["kind"] == "invalid_request" and "preview again" in refused["error"]["message"]
    assert (folder / ".chi_llm.yaml").exists() and not (folder / ".chi_llm.json").exists()
    forced = converse(request(3, "bootstrap/preview", path=str(folder), force=True))[3]["result"]
    assert [(Path(f["path"]).name, f["action"]) for f in forced["files"]] == [
        (".chi_llm.json", "create"),
        (".chi_llm.yaml", "move"),
        (".env.sample", "overwrite"),
        ("llm-requirements.txt", "create"),
    ]
    written = converse(request(4, "bootstrap/write", path=str(folder), force=True, expect=forced["digest"]))[4]
    assert written["result"]["written"] and written["result"]["files"] == forced["files"]
    assert (folder / ".chi_llm.yaml.bak").read_text() == "max_tokens: 9\n" and (folder / ".chi_llm.json").exists()
