"""The MCP adapter's pure parts: which server a spec names, tool names made to fit what
providers accept, and a tool result as the text the model gets (built from the SDK's own types)."""

from __future__ import annotations

import base64
import json
import sys

import mcp_types as types
import pytest

from chi_llm.adapters.mcp import require_sdk, target
from chi_llm.adapters.mcp.names import local_names
from chi_llm.adapters.mcp.results import reply
from chi_llm.domain.errors import BackendUnavailable, InvalidRequest
from chi_llm.domain.tools import NAME


def test_a_command_line_is_split_as_a_shell_would() -> None:
    found = target('python "my server.py" --flag', env={"TOKEN": "t"}, cwd="~")
    assert found.command == ("python", "my server.py", "--flag") and found.url is None
    assert found.env == {"TOKEN": "t"} and found.cwd is not None and not found.cwd.startswith("~")
    assert found.label == "python 'my server.py' --flag"
    assert target(["node", "a b.js"]).command == ("node", "a b.js")


def test_a_url_is_streamable_http_with_its_headers() -> None:
    found = target(" https://example.test/mcp ", headers={"Authorization": "Bearer x"})
    assert found.url == "https://example.test/mcp" and found.command == ()
    assert found.headers == {"Authorization": "Bearer x"}


@pytest.mark.parametrize(
    ("spec", "options", "said"),
    [
        ("", {}, "empty"),
        ("   ", {}, "empty"),
        ('python "unclosed', {}, "cannot be read"),
        (42, {}, "command line or a URL"),
        (b"python s.py", {}, "command line or a URL"),
        ("http://h/mcp", {"env": {"A": "b"}}, "not for the URL"),
        ("python s.py", {"headers": {"A": "b"}}, "not for a command"),
        ("python s.py", {"env": {"A": 1}}, "text values"),
    ],
)
def test_a_spec_that_cannot_work_is_refused(spec: object, options: dict[str, object], said: str) -> None:
    with pytest.raises(InvalidRequest, match=said):
        target(spec, **options)  # type: ignore[arg-type]


def test_names_that_fit_are_kept_and_others_made_to_fit_without_meeting() -> None:
    long = "x" * 100
    names = local_names(["add", "math.mul", "math_mul", long, "a b", ""])
    assert names["add"] == "add" and names["math_mul"] == "math_mul"  # a fitting name is never renamed
    assert names["math.mul"].startswith("math_mul_") and names["math.mul"] != "math_mul"
    assert len(names[long]) == 64 and names["a b"] == "a_b"
    assert all(NAME.match(name) for name in names.values())
    assert len(set(names.values())) == len(names)
    assert local_names(["math.mul"]) == local_names(["math.mul"])  # stable from one start to the next
    assert local_names(["search"], prefix="gh_") == {"search": "gh_search"}


def test_a_prefix_that_cannot_be_part_of_a_name_is_refused() -> None:
    with pytest.raises(InvalidRequest, match="prefix"):
        local_names(["a"], prefix="gh.")


def test_text_blocks_are_joined_and_an_error_is_flagged() -> None:
    result = types.CallToolResult(
        content=[types.TextContent(text="first"), types.TextContent(text="second")], is_error=True
    )
    answer = reply(result)
    assert answer.text == "first\nsecond" and answer.is_error


def test_structured_content_goes_as_json_when_there_is_no_text() -> None:
    result = types.CallToolResult(content=[], structured_content={"city": "Oslo", "celsius": 21})
    answer = reply(result)
    assert json.loads(answer.text) == {"city": "Oslo", "celsius": 21} and not answer.is_error
    both = types.CallToolResult(content=[types.TextContent(text="21 C in Oslo")], structured_content={"c": 21})
    assert reply(both).text == "21 C in Oslo"  # the server's own text for the model wins


def test_binary_blocks_are_described_never_dumped() -> None:
    data = base64.b64encode(b"\0" * 3000).decode()
    result = types.CallToolResult(
        content=[
            types.ImageContent(data=data, mime_type="image/png"),
            types.AudioContent(data=data, mime_type="audio/wav"),
            types.ResourceLink(name="notes", uri="file:///notes.txt", mime_type="text/plain"),
            types.EmbeddedResource(resource=types.TextResourceContents(uri="file:///a.txt", text="hello")),
            types.EmbeddedResource(
                resource=types.BlobResourceContents(uri="file:///b.bin", blob=data, mime_type="application/zip")
            ),
        ]
    )
    text = reply(result).text
    assert data not in text
    assert "[image: image/png, 3,000 bytes, not shown]" in text and "[audio: audio/wav, 3,000 bytes" in text
    assert "[resource link: notes <file:///notes.txt>, text/plain]" in text
    assert "[resource file:///a.txt]\nhello" in text and "[resource file:///b.bin: application/zip, 3,000 bytes" in text


def test_a_long_result_is_cut_saying_how_much() -> None:
    result = types.CallToolResult(content=[types.TextContent(text="y" * 1000)])
    text = reply(result, limit=100).text
    assert text.startswith("y" * 100) and "900 more characters cut" in text and len(text) < 200


def test_without_the_sdk_the_error_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "mcp", None)  # what an import of a missing package meets
    with pytest.raises(BackendUnavailable, match=r'pip install "chi-llm\[mcp\]"'):
        require_sdk()
    from chi_llm import mcp_tools

    with pytest.raises(BackendUnavailable, match=r"chi-llm\[mcp\]"):
        mcp_tools("python server.py")
