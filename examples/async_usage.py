"""Async: the same calls with `a` in front; several at once share the model's decode thread and
never block the event loop.

Run: python examples/async_usage.py
"""

import asyncio

from chi_llm import MicroLLM


async def main() -> None:
    llm = MicroLLM()
    answers = await asyncio.gather(*(llm.agenerate(f"Name a colour ({i}).", max_tokens=8) for i in range(3)))
    for answer in answers:
        print("agenerate:", answer.strip())
    print("astream:   ", end="")
    async for piece in llm.astream("Say hello in French.", max_tokens=12):
        print(piece, end="", flush=True)
    print()


asyncio.run(main())
