"""Providers and the router: profiles with tags and priorities, fallback to the next candidate.

The `fake` provider answers with scripted text, so this runs with no server; replace it with
`ollama`, `lmstudio`, `openai`, `anthropic` or `gemini` profiles (see docs/guides/providers.md).

Run: python examples/providers_and_router.py
"""

import json
import logging
import os

logging.basicConfig(level=logging.WARNING, format="%(name)s: %(message)s")

os.environ["CHI_LLM_CONFIG"] = json.dumps(
    {
        "providers": [
            # priority 1, but nothing listens on this port: the router falls back (and says so)
            {
                "id": "down",
                "type": "ollama",
                "settings": {"base_url": "http://127.0.0.1:9", "model": "m"},
                "priority": 1,
            },
            {"id": "scripted", "type": "fake", "settings": {"replies": ["Hello from the fallback."]}, "priority": 2},
            {"id": "tagged", "type": "fake", "settings": {"replies": ["Tagged reply."]}, "tags": ["fast"]},
        ]
    }
)

from chi_llm import MicroLLM  # after the configuration is in place

print("router:  ", MicroLLM().generate("Hi"))
print("by tag:  ", MicroLLM(tags=["fast"]).generate("Hi"))
print("by id:   ", MicroLLM(provider="scripted").generate("Hi"))
try:
    MicroLLM(provider="down").generate("Hi")  # an explicit choice never falls back
except Exception as error:  # chi_llm.BackendUnavailable
    print("explicit:", type(error).__name__, "-", str(error).split(";")[0])
