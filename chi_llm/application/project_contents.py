"""The contents of a project's `.env.sample` and `llm-requirements.txt` (chi-llm bootstrap)."""

from __future__ import annotations

from chi_llm.application.config_env import ENV_KEYS, PROVIDER_ENV_PREFIX
from chi_llm.application.requirements_file import requirement_lines
from chi_llm.domain.project import EXTRAS, InstalledPackage, ProjectRequest
from chi_llm.domain.providers import Schemas
from chi_llm.domain.settings import KEYS

SHARED_ENV = ("CHI_LLM_MAX_TOKENS", "CHI_LLM_TEMPERATURE", "CHI_LLM_TOP_P")
LOCAL_ENV = ("CHI_LLM_MODEL", "CHI_LLM_CONTEXT", "CHI_LLM_HOME")


def env_sample(request: ProjectRequest, schemas: Schemas) -> str:
    """`.env.sample`: every variable chi-llm reads for this project, each with a comment, no values."""
    lines = [
        "# Environment variables chi-llm reads for this project. Copy this file to .env and fill in",
        "# what you need; never commit real keys. chi-llm does not load .env itself: export the",
        "# variables, or use direnv, `docker --env-file`, your IDE or python-dotenv.",
        "# An empty or unset variable changes nothing; a set one overrides the configuration file.",
        "",
    ]
    if request.provider == "local":
        names = [*LOCAL_ENV, *SHARED_ENV]
    else:
        schema = schemas[request.provider]
        lines += [
            "# provider type (another type starts afresh from its defaults)",
            f"{PROVIDER_ENV_PREFIX}TYPE=",
            "",
        ]
        for variable in schema.key_variables:
            lines += [
                f"# API key for {request.provider} (read when the configuration holds none)",
                f"{variable}=",
                "",
            ]
        for field in schema.fields:
            if field.name == "api_key":
                continue
            default = "" if field.default is None else f" (default {field.default})"
            lines += [
                f"# provider {field.name}: {field.help}{default}",
                f"{PROVIDER_ENV_PREFIX}{field.name.upper()}=",
                "",
            ]
        names = list(SHARED_ENV)
    for name in names:
        key = KEYS[ENV_KEYS[name]]
        lines += [f"# {key.name}: {key.help}", f"{name}=", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def requirements(package: InstalledPackage, extras: str) -> str:
    """`llm-requirements.txt` (see requirements_file: pinned only when the index has it)."""
    lines = [
        f"# chi-llm for this project (extras: {extras}); install with: pip install -r llm-requirements.txt",
        *requirement_lines(package, EXTRAS[extras]),
    ]
    return "\n".join(lines) + "\n"
