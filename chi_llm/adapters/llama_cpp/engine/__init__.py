"""The local engine: one scheduler per loaded model decodes every active request together.

- native.py: the llama.cpp context (one KV stream per slot), its batch and memory operations.
- sampling.py: a sampler chain per sequence (temperature, top-k/p, min-p, penalties, grammar, seed).
- slots.py: which slot a request decodes in (its conversation's, the longest cached prefix, or
  the least recently used) and which other slot's cells it copies instead of evaluating them.
- scheduler.py: the decode thread: one llama_decode per step carrying one sampled token per
  generating sequence plus prompt chunks of the joining ones.
- slot_tasks.py: work on the slots between steps (scoring's slot, a conversation's export, forgetting).
- requests.py: what callers hand the scheduler and get back.
- lookup.py: draftless speculation (prompt lookup) verified inside those steps.
"""
