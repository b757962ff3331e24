"""`chi-llm serve` with the official OpenAI client: start the server (zero configuration: the
embedded model), stream an answer through `openai`, list the models, stop the server.

Needs the serve extra and the openai package: pip install "chi-llm[serve]" openai

Run: python examples/openai_server.py
"""

import re
import subprocess
import sys

try:
    from openai import OpenAI
except ImportError:
    sys.exit("this example needs the openai package: pip install openai")

# --port 0 picks a free port; the server prints its address on its first line.
server = subprocess.Popen([sys.executable, "-m", "chi_llm", "serve", "--port", "0"], stdout=subprocess.PIPE, text=True)
try:
    first_line = server.stdout.readline() if server.stdout else ""
    found = re.search(r"listening on (http://\S+/v1)", first_line)
    if found is None:
        sys.exit("chi-llm serve did not start (see its messages above)")
    base_url = found.group(1)
    print(f"serving at {base_url}")

    client = OpenAI(base_url=base_url, api_key="not-needed-on-loopback")
    stream = client.chat.completions.create(
        model="smollm2-135m",
        messages=[{"role": "user", "content": "Say hello in five words."}],
        max_tokens=24,
        stream=True,
        stream_options={"include_usage": True},
    )
    print("streamed: ", end="")
    for chunk in stream:
        if chunk.choices:
            print(chunk.choices[0].delta.content or "", end="", flush=True)
        elif chunk.usage is not None:
            print(f"\n({chunk.usage.completion_tokens} tokens)")
    print("models:", ", ".join(model.id for model in client.models.list()))
finally:
    server.terminate()  # SIGTERM: requests in flight finish, then it exits
    server.wait(timeout=60)
