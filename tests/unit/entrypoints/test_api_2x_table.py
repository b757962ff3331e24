"""Every row of chi_llm 2.x's Python API (the upstream reference, §1: exports, MicroLLM, prompt
templates, utilities, registry, SDK, analyzer) called as 2.x documented it, on the fake backend:
it works, a documented default holds, and a spelling that is not today's gives a
DeprecationWarning that says what to write instead. §1.9 and §1.10: test_api_2x_rag_providers.py.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import chi_llm
from chi_llm import MicroLLM
from tests.support.api_2x import Row, check_row, defaults, fake_llm, fake_project, last_prompt


# -- §1.1 top-level exports -----------------------------------------------------------------------
def exports(_: Path) -> None:
    names = str.split(
        "MicroLLM quick_llm PromptTemplates code_prompt data_prompt truncate_text format_chat_history "
        "clean_response get_model_info load_config resolve_model get_provider_settings list_provider_models "
        "ModelManager ModelInfo MODELS list_available_models get_current_model_status CodeAnalyzer load_model "
        "analyze_code DEFAULT_QUESTION MODEL_REPO MODEL_FILE MODEL_DIR __version__"
    )
    for name in names:
        assert getattr(chi_llm, name) is not None, name
        exec(f"from chi_llm import {name}", {})  # noqa: S102 - the import statement 2.x code has


def quick_llm(_: Path) -> None:
    assert chi_llm.quick_llm("hello there", provider={"type": "fake", "replies": ["hi"]}) == "hi"


def code_prompt(_: Path) -> None:
    assert defaults(chi_llm.code_prompt) == {"task": "explain"}
    prompt = chi_llm.code_prompt("def f(): pass")
    assert "def f(): pass" in prompt and "xplain" in prompt
    assert "review" in chi_llm.code_prompt("x = 1", task="review").lower()
    assert chi_llm.code_prompt("x = 1", task="shorten").startswith("shorten:")


def data_prompt(_: Path) -> None:
    assert defaults(chi_llm.data_prompt) == {"task": "extract"}
    assert "a,b" in chi_llm.data_prompt("a,b") and "xtract" in chi_llm.data_prompt("a,b")
    assert "ummar" in chi_llm.data_prompt("a,b", task="summarize")
    assert chi_llm.data_prompt("a,b", task="tally").startswith("tally:")


def truncate_text(_: Path) -> None:
    assert defaults(chi_llm.truncate_text) == {"max_length": 20000, "suffix": "\n... (truncated)"}
    cut = chi_llm.truncate_text("x" * 50, max_length=30)
    assert len(cut) == 30 and cut.endswith("\n... (truncated)")
    assert chi_llm.truncate_text("short") == "short"


def format_chat_history(_: Path) -> None:
    text = chi_llm.format_chat_history([{"user": "hi", "assistant": "hello"}, {"system": "be brief"}])
    assert "hi" in text and "hello" in text and "System: be brief" in text


def clean_response(_: Path) -> None:
    assert chi_llm.clean_response("a\n\n\n\nb<end_of_turn></s>[DONE]") == "a\n\nb"


def get_model_info(_: Path) -> None:
    info = chi_llm.get_model_info()
    assert {"name", "context_window"} <= set(info) and info["context_window"] > 0


def load_config(_: Path) -> None:
    assert defaults(chi_llm.load_config) == {"config_path": None}
    assert chi_llm.load_config()["provider"]["type"] == "fake"


def resolve_model(_: Path) -> None:
    assert defaults(chi_llm.resolve_model) == {"config_path": None}
    resolved = chi_llm.resolve_model()
    assert set(resolved) == {"model_id", "model_path", "context_window", "source"}
    assert resolved["model_id"] == "smollm2-135m" and resolved["source"] == "default"


def get_provider_settings(_: Path) -> None:
    assert defaults(chi_llm.get_provider_settings) == {"config_path": None}
    settings = chi_llm.get_provider_settings()
    assert settings["type"] == "fake" and {"host", "port", "timeout", "model"} <= set(settings)


def list_provider_models(_: Path) -> None:
    assert defaults(chi_llm.list_provider_models) == {"provider": None}
    listed = chi_llm.list_provider_models("local")
    assert listed and {"id", "name", "size"} <= set(listed[0])


def registry_types(_: Path) -> None:
    manager = chi_llm.ModelManager()
    assert isinstance(manager.list_models()[0], chi_llm.ModelInfo)
    assert chi_llm.MODELS["gemma-270m"].id == "gemma-3-270m"


def list_available_models(_: Path) -> None:
    assert defaults(chi_llm.list_available_models) == {"show_all": True}
    rows = chi_llm.list_available_models()
    assert len(rows) >= 25 and set(rows[0]) == {"id", "name", "size", "context_window", "downloaded"}
    assert len(chi_llm.list_available_models(show_all=False)) <= len(rows)


def get_current_model_status(_: Path) -> None:
    status = chi_llm.get_current_model_status()
    assert set(status) == {"id", "name", "downloaded", "path"} and status["id"] == "smollm2-135m"


def code_analyzer(folder: Path) -> None:
    assert defaults(chi_llm.CodeAnalyzer) == {"model_path": None, "use_gpu": True}
    analyzer = chi_llm.CodeAnalyzer()
    assert defaults(analyzer.analyze) == {"question": None, "filename": None}
    assert "x = 1" in analyzer.analyze("x = 1")  # the fake echoes the prompt
    assert chi_llm.DEFAULT_QUESTION in analyzer.analyze("x = 1", filename="a.py")
    source = folder / "a.py"
    source.write_text("y = 2\n")
    assert "y = 2" in analyzer.analyze_file(str(source), question="What is y?")
    with pytest.raises(FileNotFoundError):
        analyzer.analyze_file(str(folder / "missing.py"))


def load_model_and_analyze_code(_: Path) -> None:
    llm = chi_llm.load_model(None)
    answer = chi_llm.analyze_code(llm, "z = 3", "z.py", "What is z?")
    assert "z = 3" in answer and "What is z?" in answer


def constants(_: Path) -> None:
    assert chi_llm.MODEL_FILE.endswith(".gguf") and "smollm2" in chi_llm.MODEL_REPO.lower()
    assert Path(chi_llm.MODEL_DIR).is_absolute() and chi_llm.__version__


# -- §1.4 PromptTemplates ----------------------------------------------------------------------------
TEMPLATES = {  # name: (its arguments, text its default puts in the prompt)
    "code_review": (("def f(): pass",), None),
    "explain_code": (("def f(): pass",), None),
    "fix_error": (("def f(): pass", "NameError: g"), None),
    "write_tests": (("def f(): pass",), "pytest"),
    "optimize_code": (("def f(): pass",), None),
    "document_code": (("def f(): pass",), "docstring"),
    "sql_from_description": (("users older than 30",), None),
    "regex_from_description": (("a date",), None),
    "json_from_text": (("Alice is 31",), None),
    "email_draft": (("a late delivery",), "professional"),
    "meeting_notes": (("we agreed to ship",), None),
    "pros_cons": (("remote work",), None),
    "explain_concept": (("recursion",), "beginner"),
    "creative_ideas": (("a party",), "5"),
    "refactor_code": (("def f(): pass",), "cleaner and more maintainable"),
    "api_from_description": (("a todo list",), None),
    "user_story": (("login",), None),
    "commit_message": (("+ x = 1",), None),
    "cli_command": (("list files",), None),
}


def prompt_templates(_: Path) -> None:
    for name, (args, default_text) in TEMPLATES.items():
        prompt = getattr(chi_llm.PromptTemplates, name)(*args)
        assert args[0] in prompt, name
        assert default_text is None or default_text in prompt, (name, default_text)
    assert "go" in chi_llm.PromptTemplates.code_review("x", language="go")


# -- §1.5 chi_llm.utils, §1.6 chi_llm.models, §1.8 chi_llm.analyzer, chi_llm.prompts ------------------
def utils_module(_: Path) -> None:
    from chi_llm import utils

    assert utils.count_tokens_approx("abcdefgh") == 2
    assert defaults(utils.validate_response) == {"min_length": 1}
    assert (
        utils.validate_response("fine") and not utils.validate_response("Error: no") and not utils.validate_response("")
    )
    assert defaults(utils.split_into_chunks) == {"chunk_size": 15000, "overlap": 500}
    text = " ".join(f"Sentence {i} is here." for i in range(400))
    chunks = utils.split_into_chunks(text, chunk_size=1000, overlap=100)
    assert len(chunks) > 1 and all(len(c) <= 1000 for c in chunks) and chunks[0].endswith(".")
    assert defaults(utils.merge_responses) == {"task": "default"}
    assert utils.merge_responses(["a", "b"], task="extract") == "a\nb" and "---" in utils.merge_responses(["a", "b"])
    assert utils.estimate_processing_time(100) == 1 and utils.estimate_processing_time(5000) == 10
    assert utils.is_code("def f(x):\n    return x\n") and not utils.is_code("Dear Anna, thanks for the tea.")
    assert utils.load_config()["provider"]["type"] == "fake" and utils.get_model_info()["id"] == "smollm2-135m"


def modules_by_their_2x_paths(_: Path) -> None:
    from chi_llm.analyzer import DEFAULT_QUESTION, CodeAnalyzer, analyze_code, load_model
    from chi_llm.models import MODELS, ModelInfo, ModelManager
    from chi_llm.prompts import PromptTemplates, code_prompt, data_prompt

    assert MODELS["phi3-mini"].id == "phi-3.5-mini" and ModelManager().list_models()[0].__class__ is ModelInfo
    assert "Analyze" in DEFAULT_QUESTION and all(map(callable, (CodeAnalyzer, analyze_code, load_model)))
    assert PromptTemplates.names() and "x = 1" in code_prompt("x = 1") and "a,b" in data_prompt("a,b")


def model_manager_2x_methods(folder: Path) -> None:
    manager = chi_llm.ModelManager()
    assert manager.load_config()["provider"]["type"] == "fake"
    assert manager.has_explicit_default() is False
    assert manager.resolve_effective_model() == ("smollm2-135m", "legacy default")
    assert manager.resolve_effective_model("qwen3-1.7b") == ("qwen3-1.7b", "provider local fallback")
    repo, filename = manager.get_download_info("gemma-270m")
    assert filename == "gemma-3-270m-it-Q4_K_M.gguf" and "/" in repo
    manager.mark_downloaded("gemma-270m")  # nothing to record: downloads are found on disk
    written = manager.save_config("local")
    assert json.loads(written.read_text())["model"] == "smollm2-135m"
    again = chi_llm.ModelManager()
    assert again.has_explicit_default() is True
    assert again.resolve_effective_model("qwen3-1.7b") == ("smollm2-135m", "explicit default")


def sdk_and_model_utils_modules(_: Path) -> None:
    from chi_llm.config import get_provider_settings, list_provider_models, load_config, resolve_model
    from chi_llm.model_utils import format_model_info, get_model_by_size

    assert load_config()["provider"]["type"] == "fake" and resolve_model()["model_id"] == "smollm2-135m"
    assert get_provider_settings()["type"] == "fake" and callable(list_provider_models)
    sizes = {size: get_model_by_size(size).id for size in ("tiny", "small", "medium", "large")}
    assert sizes == {"tiny": "gemma-3-270m", "small": "qwen3-1.7b", "medium": "gemma-2-2b", "large": "phi-3.5-mini"}
    card = format_model_info(get_model_by_size("tiny"), is_downloaded=False, is_current=True)
    assert "gemma-3-270m" in card and "current" in card.lower()


# -- §1.2 MicroLLM.__init__ and its attributes ----------------------------------------------------
def micro_llm_init(_: Path) -> None:
    llm = MicroLLM(model_path=None, model_id=None, temperature=0.7, max_tokens=4096, verbose=False)
    assert (llm.temperature, llm.max_tokens, llm.verbose) == (0.7, 4096, False)
    assert llm.generate("hi") == "Echo: hi"


def micro_llm_model_id(folder: Path) -> None:
    (folder / ".chi_llm.json").unlink()  # the local provider: 2.x's ids are catalog ids
    assert MicroLLM(model_id="gemma-270m").model == "gemma-3-270m"  # not loaded until used
    assert MicroLLM(model_path="/models/mine.gguf").model == "/models/mine.gguf"


def micro_llm_attributes(folder: Path) -> None:
    llm = MicroLLM()
    assert llm.model_id == "smollm2-135m" and str(llm.model_path).endswith(".gguf")
    assert llm.provider_config["type"] == "fake" and llm.llm is llm.backend
    assert llm.tags is None
    tagged = folder / "tagged.json"
    tagged.write_text(json.dumps({"providers": [{"id": "quick", "type": "fake", "tags": ["fast"]}]}))
    assert MicroLLM(config_path=tagged, tags=["fast"]).tags == ["fast"]


# -- §1.3 MicroLLM methods ------------------------------------------------------------------------
def generate_raw(_: Path) -> None:
    llm = fake_llm()
    assert isinstance(llm.generate("Once upon", use_raw=True), str)
    assert llm.backend.requests[-1].prompt == "Once upon"  # type: ignore[attr-defined]


def generate_sampling(_: Path) -> None:
    llm = fake_llm("done")
    assert llm.generate("hi", temperature=0.2, max_tokens=8, top_p=0.9, top_k=40, min_p=0.05, repeat_penalty=1.1) == (
        "done"
    )


def chat_history(_: Path) -> None:
    llm = fake_llm("fine")
    assert llm.chat("and you?", history=[{"user": "hi", "assistant": "hello"}]) == "fine"
    contents = [m.content for m in llm.backend.requests[-1].messages]  # type: ignore[attr-defined]
    assert contents[-3:] == ["hi", "hello", "and you?"]


def complete(_: Path) -> None:
    llm = fake_llm()
    assert isinstance(llm.complete("The sky is"), str)
    assert llm.backend.requests[-1].prompt == "The sky is"  # type: ignore[attr-defined]


def ask(_: Path) -> None:
    llm = fake_llm()
    assert defaults(llm.ask) == {"context": None}
    assert llm.ask("Why?") == "Echo: Why?"
    assert "Paris" in llm.ask("Capital?", context="Paris is the capital.")


def analyze(_: Path) -> None:
    llm = fake_llm()
    assert defaults(llm.analyze) == {"question": None}
    assert "x = 1" in llm.analyze("x = 1") and "Is it safe?" in llm.analyze("x = 1", question="Is it safe?")


def extract(_: Path) -> None:
    llm = fake_llm('{"name": "Alice", "age": 31}', '{"name": "Bob"}', "name: Carol")
    text = llm.extract("Alice is 31")  # format="json" by default
    assert isinstance(text, str) and json.loads(text) == {"name": "Alice", "age": 31}
    shaped = llm.extract("Bob", format="json", schema={"type": "object", "properties": {"name": {"type": "string"}}})
    assert isinstance(shaped, str) and json.loads(shaped) == {"name": "Bob"}
    assert llm.extract("Carol", format="yaml") == "name: Carol" and "yaml" in last_prompt(llm).lower()


def summarize(_: Path) -> None:
    llm = fake_llm()
    assert "3 sentences" in llm.summarize("A long story about the sea.")  # max_sentences=3 by default
    assert "2 sentences" in llm.summarize("A long story.", max_sentences=2)
    assert "5 sentences" in llm.summarize("A long story.", 5)
    with pytest.raises(chi_llm.InvalidRequest, match="concise"):
        llm.summarize("A long story.", style="bullets", max_sentences=2)
    with pytest.raises(chi_llm.InvalidRequest, match="max_sentences"):
        llm.summarize("A long story.", max_sentences=0)


def translate(_: Path) -> None:
    llm = fake_llm()
    assert "English" in llm.translate("Bonjour")  # target_language="English" by default
    assert "French" in llm.translate("Hello", target_language="French")
    assert "German" in llm.translate("Hello", "German")


def classify(_: Path) -> None:
    llm = fake_llm('{"label": "negative"}')
    assert llm.classify("I hate it", categories=["positive", "negative"]) == "negative"
    assert fake_llm('{"label": "positive"}').classify("I love it", ["positive", "negative"]) == "positive"


def call(_: Path) -> None:
    assert fake_llm("yes")("ok?") == "yes"


def provider_host_port(_: Path) -> None:
    llm = MicroLLM(provider={"type": "ollama", "host": "127.0.0.1", "port": 11500, "model": "m"})
    profile = llm._router.candidates[0]
    assert profile.type == "ollama" and profile.settings["base_url"] == "http://127.0.0.1:11500"
    lm = MicroLLM(provider={"type": "lmstudio", "host": "localhost", "model": "m", "timeout": 5})
    assert lm._router.candidates[0].settings["base_url"] == "http://localhost:1234"
    assert lm._router.candidates[0].settings["read_timeout"] == 5
    local = MicroLLM(provider={"type": "local-zeroconfig", "output_tokens": 7})
    assert local._router.candidates[0].type == "local" and local.max_tokens == 7


ROWS: dict[str, Row] = {
    "1.1 exports (from chi_llm import ...)": Row("26 names", True, exports),
    "1.1 quick_llm(prompt, **kwargs)": Row("quick_llm", False, quick_llm),
    "1.1 code_prompt(code, task='explain')": Row("code_prompt", True, code_prompt),
    "1.1 data_prompt(data, task='extract')": Row("data_prompt", True, data_prompt),
    "1.1 truncate_text(text, max_length=20000, suffix)": Row("truncate_text", False, truncate_text),
    "1.1 format_chat_history(history)": Row("format_chat_history", False, format_chat_history),
    "1.1 clean_response(response)": Row("clean_response", False, clean_response),
    "1.1 get_model_info()": Row("get_model_info", True, get_model_info),
    "1.1 load_config(config_path=None)": Row("load_config", False, load_config),
    "1.1 resolve_model(config_path=None)": Row("resolve_model", True, resolve_model),
    "1.1 get_provider_settings(config_path=None)": Row("get_provider_settings", True, get_provider_settings),
    "1.1 list_provider_models(provider=None)": Row("list_provider_models", True, list_provider_models),
    "1.1 ModelManager, ModelInfo, MODELS": Row("registry", False, registry_types),
    "1.6 ModelManager: load_config, has_explicit_default, save_config, mark_downloaded, get_download_info, "
    "resolve_effective_model": Row("ModelManager", True, model_manager_2x_methods),
    "1.1 list_available_models(show_all=True)": Row("list_available_models", True, list_available_models),
    "1.1 get_current_model_status()": Row("get_current_model_status", True, get_current_model_status),
    "1.4 PromptTemplates: 19 templates with their defaults": Row("templates", False, prompt_templates),
    "1.5 chi_llm.utils (10 text helpers, load_config, get_model_info)": Row("utils", True, utils_module),
    "1.6/1.8 chi_llm.models, chi_llm.analyzer, chi_llm.prompts": Row("modules", True, modules_by_their_2x_paths),
    "1.6/1.7 chi_llm.model_utils, chi_llm.config (SDK)": Row("sdk", True, sdk_and_model_utils_modules),
    "1.8 CodeAnalyzer(model_path=None, use_gpu=True)": Row("CodeAnalyzer", True, code_analyzer),
    "1.8 load_model(model_path), analyze_code(llm, code, filename, question)": Row(
        "load_model", True, load_model_and_analyze_code
    ),
    "1.1 MODEL_REPO, MODEL_FILE, MODEL_DIR, __version__": Row("constants", True, constants),
    "1.2 MicroLLM(model_path, model_id, temperature, max_tokens, verbose)": Row("init", False, micro_llm_init),
    "1.2 MicroLLM(model_id=<2.x id>)": Row("model_id", True, micro_llm_model_id),
    "1.2 attributes model_path, model_id, provider_config, llm, tags": Row("attributes", True, micro_llm_attributes),
    "1.3 generate(prompt, use_raw=True)": Row("generate use_raw", True, generate_raw),
    "1.3 generate(prompt, top_k, min_p, repeat_penalty)": Row("generate sampling", True, generate_sampling),
    "1.3 chat(message, history=[{user, assistant}])": Row("chat", False, chat_history),
    "1.3 complete(text)": Row("complete", False, complete),
    "1.3 ask(question, context=None)": Row("ask", False, ask),
    "1.3 analyze(code, question=None)": Row("analyze", False, analyze),
    "1.3 extract(text, format='json', schema=None)": Row("extract", True, extract),
    "1.3 summarize(text, max_sentences=3)": Row("summarize", True, summarize),
    "1.3 translate(text, target_language='English')": Row("translate", True, translate),
    "1.3 classify(text, categories)": Row("classify", True, classify),
    "1.3 __call__(prompt)": Row("call", False, call),
    "1 provider {type, host, port} as an argument": Row("provider", True, provider_host_port),
}


@pytest.fixture
def project(isolated: Path) -> Path:
    return fake_project(isolated)


@pytest.mark.parametrize("row", list(ROWS), ids=list(ROWS))
def test_every_2x_api_row_works(row: str, project: Path) -> None:
    check_row(row, ROWS[row], project)


def test_the_notice_points_at_the_callers_line(project: Path) -> None:
    llm = fake_llm()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        llm.translate("A story.", target_language="French")
    assert caught and caught[0].filename == __file__
