"""chi_llm 2.x's RAG API (`chi_llm.rag`, the upstream reference §1.9) and provider classes
(§1.10), row by row as test_api_2x_table.py walks the rest of §1: each called as 2.x documented
it works, its documented defaults hold, and it gives a DeprecationWarning naming today's spelling.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import chi_llm
from tests.support.api_2x import Row, check_row, defaults, fake_project


# -- §1.10 provider classes -------------------------------------------------------------------------
def provider_classes(_: Path) -> None:
    from urllib.parse import urlsplit

    from chi_llm.adapters.fake import FakeTextGenerator
    from chi_llm.providers import LmStudioProvider, OllamaProvider, OpenAIProvider
    from tests.support.servers.base import Server, serve
    from tests.support.servers.ollama import OllamaHandler
    from tests.support.servers.openai import OpenAIHandler

    assert defaults(OllamaProvider) == {"host": "127.0.0.1", "port": 11434, "model": None, "timeout": 30.0}
    assert defaults(LmStudioProvider) == {"host": "127.0.0.1", "port": 1234, "model": None, "timeout": 30.0}
    engine = FakeTextGenerator(["hello from ollama", "chatted", "continued"], models=("llama3.2",))
    with serve(OllamaHandler, Server(engine=engine)) as ollama:
        port = urlsplit(ollama.url).port or 0
        provider = OllamaProvider(host="127.0.0.1", port=port, model="llama3.2", timeout=5.0)
        assert provider.generate("hi", max_tokens=8) == "hello from ollama"
        assert provider.chat("hi", history=[{"user": "a", "assistant": "b"}]) == "chatted"
        assert provider.complete("Once", max_tokens=8) == "continued"
    openai_engine = FakeTextGenerator(["from openai"], models=("gpt-x",))
    with serve(OpenAIHandler, Server(engine=openai_engine, api_key="k")) as server:
        remote = OpenAIProvider(api_key="k", model="gpt-x", base_url=server.url + "/v1")
        assert remote.generate("hi") == "from openai"
        assert OpenAIProvider(api_key="k", model="gpt-x", host="127.0.0.1", port=urlsplit(server.url).port).generate(
            "hi"
        )  # echoes
    with pytest.raises(chi_llm.ConfigError, match="model"):
        OpenAIProvider(api_key="k", model="")
    from chi_llm.providers import AnthropicProvider

    claude = AnthropicProvider(api_key="k", model="claude-x", timeout=5.0)  # connects on first use only
    assert claude.llm.provider_ids == ["anthropic"] and claude.llm.model == "claude-x"
    with pytest.raises(chi_llm.ConfigError, match="api_key"):
        AnthropicProvider(api_key=None, model="claude-x")


def provider_router(_: Path) -> None:
    from chi_llm.adapters.fake import FakeTextGenerator
    from chi_llm.providers import ProviderRouter
    from tests.support.servers.base import Faults, Server, serve
    from tests.support.servers.openai import OpenAIHandler

    down = FakeTextGenerator(["never"], models=("m",))
    with serve(OpenAIHandler, Server(engine=down, faults=Faults(server_error_times=99))) as broken:
        profiles: list[dict[str, Any]] = [
            {"name": "broken", "type": "openai", "base_url": broken.url + "/v1", "api_key": "k", "model": "m"},
            {"name": "backup", "type": "fake", "priority": 5},
        ]
        router = ProviderRouter(profiles)
        assert router.generate("hello") == "Echo: hello"  # the first failed, the next answered
    from chi_llm.providers import ClaudeCLIProvider, OpenAICLIProvider

    with pytest.raises(chi_llm.ConfigError, match="anthropic"):
        ClaudeCLIProvider()
    with pytest.raises(chi_llm.ConfigError, match="openai"):
        OpenAICLIProvider(model="gpt-x")


# -- §1.9 RAG (chi_llm.rag) -------------------------------------------------------------------------
def rag(folder: Path) -> Any:
    from chi_llm.rag import MicroRAG

    return MicroRAG(db_path=str(folder / "kb"), embedding_model="fake", llm=None, config_path=None, auto_init=True)


def rag_module(_: Path) -> None:
    from chi_llm.rag import Document, FastEmbedWrapper, MicroRAG, SentenceTransformerWrapper, quick_rag

    assert MicroRAG and quick_rag and Document
    one, many = FastEmbedWrapper("fake").encode("cats"), FastEmbedWrapper("fake").encode(["cats", "dogs"])
    assert one.ndim == 1 and many.shape == (2, one.shape[0])
    assert SentenceTransformerWrapper().model_name == "sentence-transformers/all-MiniLM-L6-v2"


def rag_init_and_initialize(folder: Path) -> None:
    from chi_llm.rag import MicroRAG

    assert defaults(MicroRAG) == {
        "db_path": None,
        "embedding_model": None,
        "llm": None,
        "config_path": None,
        "auto_init": True,
    }
    kb = rag(folder)
    kb.initialize()
    assert kb.count_documents() == 0


def rag_add_document(folder: Path) -> None:
    kb = rag(folder)
    assert defaults(kb.add_document) == {"doc_id": None, "metadata": None}
    assert kb.add_document("Paris is in France.", doc_id="paris", metadata={"topic": "geo"}) == "paris"
    assert kb.add_document("Rome is in Italy.", "rome") == "rome"
    assert isinstance(kb.add_document("Oslo is in Norway."), str)
    assert kb.count_documents() == 3


def rag_add_documents(folder: Path) -> None:
    from chi_llm.rag import Document

    kb = rag(folder)
    ids = kb.add_documents(["Paris is in France.", Document(id="rome", content="Rome is in Italy.")])
    assert len(ids) == 2 and ids[1] == "rome" and kb.count_documents() == 2


def rag_search(folder: Path) -> None:
    from chi_llm.rag import Document

    kb = rag(folder)
    assert defaults(kb.search) == {"top_k": 3, "threshold": 0.5}
    kb.add_documents([f"Fact {i}: cats sleep {i} hours." for i in range(6)])
    found = kb.search("cats sleep", threshold=0.0)
    assert len(found) == 3 and all(isinstance(d, Document) for d in found) and "cats" in found[0].content
    assert len(kb.search("cats sleep", top_k=1, threshold=0.0)) == 1
    assert kb.search("cats sleep", threshold=1.01) == []


def rag_query(folder: Path) -> None:
    kb = rag(folder)
    assert defaults(kb.query) == {"top_k": 3, "threshold": 0.5, "include_sources": False}
    kb.add_document("The Eiffel Tower is in Paris.", doc_id="eiffel")
    assert isinstance(kb.query("Where is the Eiffel Tower?", threshold=0.0), str)
    full = kb.query("Where is the Eiffel Tower?", threshold=0.0, include_sources=True)
    assert set(full) == {"answer", "sources"} and full["sources"][0]["id"] == "eiffel"
    assert full["sources"][0]["content"].startswith("The Eiffel Tower")


def rag_clear_close_context(folder: Path) -> None:
    kb = rag(folder)
    kb.add_document("one")
    kb.clear()
    assert kb.count_documents() == 0
    kb.close()
    with rag(folder) as again:
        assert again.count_documents() == 0


def rag_from_config(folder: Path) -> None:
    from chi_llm.rag import MicroRAG

    config = folder / "rag.yaml"
    config.write_text(
        f"db_path: {folder / 'kb2'}\nembedding_model: fake\n"
        "documents:\n  - content: Cats sleep a lot.\n    id: cats\n  - content: Dogs bark.\n"
    )
    kb = MicroRAG.from_config(str(config))
    assert kb.count_documents() == 2 and kb.search("cats", threshold=0.0)[0].id == "cats"
    assert MicroRAG.from_config(str(config)).count_documents() == 2  # loading again adds no duplicates (2.x did)


def rag_document(_: Path) -> None:
    from chi_llm.rag import Document

    doc = Document("d1", "text")
    assert (doc.id, doc.content, doc.metadata, doc.embedding) == ("d1", "text", None, None)


def rag_quick(_: Path) -> None:
    from chi_llm.rag import quick_rag

    assert isinstance(quick_rag("Where?", ["Paris is in France."], embedding_model="fake"), str)


ROWS: dict[str, Row] = {
    "1.10 LmStudioProvider, OllamaProvider, OpenAIProvider, AnthropicProvider": Row(
        "providers", True, provider_classes
    ),
    "1.10 ProviderRouter(profiles); ClaudeCLIProvider, OpenAICLIProvider (gone)": Row("router", True, provider_router),
    "1.9 chi_llm.rag: MicroRAG, Document, quick_rag": Row("rag module", True, rag_module),
    "1.9 MicroRAG(db_path, embedding_model, llm, config_path, auto_init), initialize()": Row(
        "rag init", True, rag_init_and_initialize
    ),
    "1.9 add_document(content, doc_id=None, metadata=None)": Row("add_document", True, rag_add_document),
    "1.9 add_documents(list[str | Document])": Row("add_documents", True, rag_add_documents),
    "1.9 search(query, top_k=3, threshold=0.5) -> list[Document]": Row("search", True, rag_search),
    "1.9 query(question, top_k=3, threshold=0.5, include_sources=False)": Row("query", True, rag_query),
    "1.9 clear(), count_documents(), close(), context manager": Row("clear", True, rag_clear_close_context),
    "1.9 MicroRAG.from_config(yaml_path)": Row("from_config", True, rag_from_config),
    "1.9 Document(id, content, metadata=None, embedding=None)": Row("Document", True, rag_document),
    "1.9 quick_rag(question, documents)": Row("quick_rag", True, rag_quick),
}


@pytest.fixture
def project(isolated: Path) -> Path:
    return fake_project(isolated)


@pytest.mark.parametrize("row", list(ROWS), ids=list(ROWS))
def test_every_2x_api_row_works(row: str, project: Path) -> None:
    check_row(row, ROWS[row], project)
