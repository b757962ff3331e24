"""LM Studio: generation through its OpenAI-compatible endpoints (/v1), model listing with load
state through its native REST API (/api/v0/models)."""

from __future__ import annotations

from typing import Any

from chi_llm.adapters.providers.http.profile import transport
from chi_llm.adapters.providers.openai_compatible import OpenAICompatibleGenerator
from chi_llm.adapters.providers.provider_type import BuildContext, ProviderType
from chi_llm.domain.errors import ModelNotFound
from chi_llm.domain.generation import GenerationRequest
from chi_llm.domain.providers import HTTP_FIELDS, ProviderField, ProviderProfile, ProviderSchema

SCHEMA = ProviderSchema(
    type="lmstudio",
    summary="LM Studio's local server",
    fields=(
        ProviderField(name="base_url", type="url", default="http://127.0.0.1:1234", help="LM Studio server root"),
        ProviderField(name="model", type="string", help="model name as the server knows it"),
        *HTTP_FIELDS,
    ),
)


class LMStudioGenerator(OpenAICompatibleGenerator):
    name = "lmstudio"

    def request_path(self, request: GenerationRequest, *, stream: bool) -> str:
        return "/v1" + super().request_path(request, stream=stream)

    def list_models(self) -> list[dict[str, Any]]:
        try:
            body = self.transport.request_json("GET", "/api/v0/models")
        except ModelNotFound:  # an older LM Studio without the native API
            body = self.transport.request_json("GET", "/v1/models")
        return [
            {
                "id": m.get("id"),
                "type": m.get("type"),
                "state": m.get("state"),
                "context_length": m.get("max_context_length"),
                "quantization": m.get("quantization"),
            }
            for m in body.get("data", [])
            if m.get("id") and m.get("type", "llm") in ("llm", "vlm")
        ]


def build(profile: ProviderProfile, ctx: BuildContext) -> LMStudioGenerator:
    client, _ = transport(profile, SCHEMA, ctx)
    return LMStudioGenerator(client, model=ctx.model, context=client.context)


PROVIDER = ProviderType(schema=SCHEMA, build=build)
