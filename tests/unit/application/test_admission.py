"""Admission: a local model loads with as many sequences (slots, each a KV cache of `context`
cells) as memory allows, all of a count the user fixed or a refusal naming what would fit."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chi_llm.adapters.fake import FixedSystemProbe
from chi_llm.adapters.models.catalog import YamlModelCatalog
from chi_llm.adapters.models.files import LocalModelFiles
from chi_llm.application.models.advice import ModelAdvisor
from chi_llm.application.models.store import ModelStore
from chi_llm.domain.errors import InsufficientResources
from chi_llm.domain.hardware import (
    GIB,
    HEADROOM_FRACTION,
    RUNTIME_OVERHEAD,
    Hardware,
    memory_needed,
    slots_that_fit,
    usable_memory,
)
from chi_llm.domain.models.ports import ModelInspector
from chi_llm.domain.models.spec import GgufFacts

WEIGHTS = 64 * 1024**2
TOTAL = 16 * GIB


class Inspector(ModelInspector):
    def __init__(self, kv_bytes_per_token: int | None) -> None:
        self.kv = kv_bytes_per_token

    def inspect(self, path: Path) -> GgufFacts:
        return GgufFacts(
            architecture="llama", name="m", context_length=8192, kv_bytes_per_token=self.kv, has_chat_template=True
        )


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("admission") / "m.gguf"
    with path.open("wb") as file:
        file.truncate(WEIGHTS)  # sparse: its size is all admission reads
    return path


def machine(room: int) -> Hardware:
    """A machine leaving `room` bytes beside the weights and the runtime for KV caches."""
    available = int(TOTAL * HEADROOM_FRACTION) + WEIGHTS + RUNTIME_OVERHEAD + room
    return Hardware(total_ram=TOTAL, available_ram=available, physical_cores=2, logical_cores=2)


def advisor(model: Path, room: int, kv: int | None = 1024, allow_oversize: bool = False) -> ModelAdvisor:
    store = ModelStore(YamlModelCatalog(env={}), LocalModelFiles(model.parent / "models"), {})
    return ModelAdvisor(store, FixedSystemProbe(machine(room)), Inspector(kv), allow_oversize=allow_oversize)


SLOT = 1024 * 1024  # one sequence's KV cache at context 1024 and 1 KiB a token


def test_auto_takes_the_most_slots_that_fit(model: Path) -> None:
    roomy, tight = advisor(model, 8 * SLOT), advisor(model, 2 * SLOT + SLOT // 2)
    assert roomy.admit(model, 1024, 4) == 4 and roomy.admit(model, 1024) == 1
    assert tight.admit(model, 1024, 4) == 2 and tight.admit(model, 1024, 2) == 2 and tight.admit(model, 1024, 1) == 1
    assert tight.admit(model, 512, 4) == 4  # half the context: twice the slots


def test_auto_refuses_only_when_one_slot_does_not_fit(model: Path) -> None:
    with pytest.raises(InsufficientResources) as error:
        advisor(model, SLOT // 2).admit(model, 1024, 4)
    message = str(error.value)
    assert "at context 1024" in message and "parallel" not in message  # one slot was all it asked for
    assert "lower `context`" in message and "smaller model" in message and "allow_oversize" in message


def test_a_fixed_count_loads_whole_or_names_what_fits(model: Path) -> None:
    tight = advisor(model, 2 * SLOT + SLOT // 2)
    assert tight.admit(model, 1024, 2, fixed=True) == 2
    with pytest.raises(InsufficientResources) as error:
        tight.admit(model, 1024, 4, fixed=True)
    message = str(error.value)
    assert "at context 1024 with parallel 4" in message and "set `parallel` to 2" in message
    assert "lower `context` to 640" in message  # 4 slots of 640 cells fit the 2.5 slots of room


def test_a_fixed_count_with_not_even_one_slot_says_so(model: Path) -> None:
    with pytest.raises(InsufficientResources) as error:
        advisor(model, SLOT // 2).admit(model, 1024, 3, fixed=True)
    message = str(error.value)
    assert "with parallel 3" in message and "set `parallel`" not in message and "smaller model" in message


def test_allow_oversize_or_an_unknown_kv_size_admits_every_slot(model: Path) -> None:
    assert advisor(model, 0, allow_oversize=True).admit(model, 1 << 20, 8, fixed=True) == 8
    assert advisor(model, 0, kv=None).admit(model, 4096, 8, fixed=True) == 8  # weights fit; the cache is unknown
    with pytest.raises(ValueError, match="at least 1"):
        advisor(model, SLOT).admit(model, 1024, 0)


@given(
    room=st.integers(-GIB, 4 * GIB),
    kv=st.integers(1, 256 * 1024),
    context=st.integers(16, 131072),
    slots=st.integers(1, 256),
    fixed=st.booleans(),
)
def test_admission_returns_the_most_that_fit(
    model: Path, room: int, kv: int, context: int, slots: int, fixed: bool
) -> None:
    chosen = advisor(model, max(room, -WEIGHTS), kv)
    usable = usable_memory(machine(max(room, -WEIGHTS)))

    def fits(count: int) -> bool:
        return memory_needed(WEIGHTS, kv, context, count) <= usable  # type: ignore[operator]

    if not fits(slots if fixed else 1):
        with pytest.raises(InsufficientResources) as error:
            chosen.admit(model, context, slots, fixed=fixed)
        assert ("parallel" in str(error.value)) == (fixed and slots > 1)
        return
    got = chosen.admit(model, context, slots, fixed=fixed)
    assert 1 <= got <= slots and fits(got) and (got == slots or not fits(got + 1))
    assert got == slots or not fixed


@given(
    weights=st.integers(0, 10**11),
    kv=st.none() | st.integers(0, 10**6),
    context=st.integers(1, 262144),
    usable=st.integers(0, 10**12),
    most=st.integers(1, 256),
)
def test_slots_that_fit_agrees_with_memory_needed(
    weights: int, kv: int | None, context: int, usable: int, most: int
) -> None:
    count = slots_that_fit(weights, kv, context, usable, most)
    assert 0 <= count <= most
    if count:
        assert memory_needed(weights, kv, context, count) <= usable  # type: ignore[operator]
    if count < most:
        assert memory_needed(weights, kv, context, count + 1) > usable  # type: ignore[operator]
