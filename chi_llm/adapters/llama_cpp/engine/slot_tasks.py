"""Work on the slots between the scheduler's steps, on its thread: a slot for label scoring, a
conversation's cells for a file, forgetting conversations and cached prefixes."""

from __future__ import annotations

from chi_llm.adapters.llama_cpp.engine.native import NativeContext
from chi_llm.adapters.llama_cpp.engine.slots import Slot
from chi_llm.adapters.llama_cpp.sessions import KvSessions, Snapshot


class SlotTasks:
    """The Scheduler's slot operations (call them through `Scheduler.call`)."""

    slots: list[Slot]
    native: NativeContext
    sessions: KvSessions

    def idle_slot(self) -> Slot | None:
        """A slot no request uses, preferring one no conversation owns (scheduler thread only)."""
        idle = [s for s in self.slots if not s.busy]
        if not idle:
            return None
        slot = max(idle, key=lambda s: (s.owner is None, -s.used))
        if slot.owner is not None and slot.tokens:
            self.sessions.keep(slot.owner, Snapshot(tuple(slot.tokens), self.native.save(slot.seq), slot.exact))
        slot.owner = None
        return slot

    def export(self, session: str) -> Snapshot | None:
        """`session`'s cells, live or saved (scheduler thread only)."""
        for slot in self.slots:
            if slot.owner == session and slot.tokens:
                return Snapshot(tuple(slot.tokens), self.native.save(slot.seq), slot.exact)
        return self.sessions.get(session)

    def clear(self) -> None:
        """Forget the cells of every idle slot no conversation owns (scheduler thread only)."""
        for slot in self.slots:
            if not slot.busy and slot.owner is None:
                self.native.drop(slot.seq)
                slot.tokens = []

    def forget(self, session: str) -> None:
        """A conversation ended: its cells stay as a prefix cache, owned by no one."""
        self.sessions.forget(session)
        for slot in self.slots:
            if slot.owner == session:
                slot.owner = None
