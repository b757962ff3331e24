"""A hint for answers from a very small model: grounded answers need a model that reads the
sources well, and the embedded default (135M parameters) often cites or states what they do
not say. The advisor names the catalog model that fits this machine."""

from __future__ import annotations

from chi_llm.application.models.advice import ModelAdvisor

SMALL = 0.5e9  # parameters below which a model answers from sources poorly


def larger_model_hint(advisor: ModelAdvisor, model_id: str | None) -> str | None:
    """One line for the person asking, when the catalog model `model_id` is a small one and a
    larger one fits this machine; else None."""
    if model_id is None or not advisor.models.is_known(model_id):
        return None
    spec = advisor.models.catalog.get(model_id)
    if not 0 < spec.parameter_count < SMALL:
        return None
    better = advisor.recommend().spec
    if better.parameter_count <= spec.parameter_count:
        return None  # nothing larger fits: there is no better advice to give
    return (
        f"note: {spec.id} ({spec.parameters} parameters) answered; a larger model answers from your documents "
        f"far better. {better.id} ({better.parameters}) fits this machine: "
        f"`chi-llm models download {better.id}`, then `chi-llm models set {better.id}`"
    )
