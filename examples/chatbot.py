"""A chatbot: one conversation (a session) that keeps its history and its own KV cache.

Run: python examples/chatbot.py        then type; an empty line or Ctrl-D ends it.
Or:  printf 'Hi\\nWhat did I just say?\\n' | python examples/chatbot.py
"""

import sys

from chi_llm import MicroLLM

llm = MicroLLM()
with llm.session(system="You are a friendly assistant. Answer in one or two sentences.") as chat:
    for line in sys.stdin:
        question = line.strip()
        if not question:
            break
        print(f"you: {question}")
        print("bot: ", end="", flush=True)
        for piece in chat.stream(question, max_tokens=60):
            print(piece, end="", flush=True)
        print()
    print(f"({len(chat.history)} messages in the conversation)")
