"""Streaming: print the answer as it is generated; leaving early stops decoding at once.

Run: python examples/streaming.py
"""

from chi_llm import MicroLLM

llm = MicroLLM()
for piece in llm.stream("Tell a very short story about a lighthouse.", max_tokens=60):
    print(piece, end="", flush=True)
print()
done = llm.last_completion  # set once a stream is fully read
print("finish reason:", done.finish_reason if done else None)

words = 0
for piece in llm.stream("Count slowly from one to one hundred.", max_tokens=200):
    words += len(piece.split())
    if words >= 5:
        break  # the model stops within a token
print(f"stopped early after {words} words")
