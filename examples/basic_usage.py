"""Zero-configuration generation: no API key, no server, no config file.

Run: python examples/basic_usage.py
The first run fetches the embedded model (~98 MB) once; later runs work offline.
"""

from chi_llm import MicroLLM

llm = MicroLLM()
print("generate:", llm.generate("Write one sentence about the sea.", max_tokens=40))
print("ask:     ", llm.ask("What colour is the car?", context="The car is red.", max_tokens=20))
print("complete:", llm.complete("Once upon a time", max_tokens=20))
usage = llm.last_usage
print(f"(last call: {usage.prompt_tokens} prompt + {usage.completion_tokens} completion tokens)")
