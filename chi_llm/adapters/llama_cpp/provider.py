"""The `local` provider type: GGUF models run in-process by llama.cpp."""

from __future__ import annotations

from chi_llm.adapters.providers.provider_type import BuildContext, ProviderType
from chi_llm.domain.config_limits import MAX_PARALLEL
from chi_llm.domain.errors import ConfigError
from chi_llm.domain.generation import DEFAULT_PARALLEL
from chi_llm.domain.ports import TextGenerator
from chi_llm.domain.providers import ProviderField, ProviderProfile, ProviderSchema

SCHEMA = ProviderSchema(
    type="local",
    summary="llama.cpp in this process (the zero-configuration default)",
    fields=(
        ProviderField(name="model", type="string", help="catalog id, inventory id or .gguf path (default: `model`)"),
        ProviderField(
            name="context", type="int", minimum=16, help="context window (capped by the model's trained context)"
        ),
        ProviderField(name="threads", type="int", minimum=1, help="CPU threads (default: physical cores)"),
        ProviderField(
            name="parallel",
            type="int",
            minimum=1,
            maximum=MAX_PARALLEL,
            help=f"requests decoded together (default: {DEFAULT_PARALLEL}, fewer when memory is short)",
        ),
        ProviderField(name="gpu_layers", type="int", minimum=-1, help="layers offloaded to the GPU, -1 = all"),
    ),
)


def build(profile: ProviderProfile, ctx: BuildContext) -> TextGenerator:
    from chi_llm.adapters.llama_cpp.generator import LlamaCppGenerator

    if ctx.locate is None or ctx.model is None:
        raise ConfigError("the local provider needs the model store and a model", key="model")
    s = profile.settings
    return LlamaCppGenerator(
        locate=ctx.locate,
        default_model=ctx.model,
        context=s.get("context") or ctx.local_context,
        threads=s.get("threads") or ctx.threads,
        parallel=s.get("parallel") or ctx.parallel,
        gpu_layers=s["gpu_layers"] if s.get("gpu_layers") is not None else ctx.gpu_layers,
        admit=ctx.admit,
        sampling=ctx.sampling,
        tool_grammar=ctx.tool_grammar,
    )


PROVIDER = ProviderType(schema=SCHEMA, build=build, catalog_models=True)
