"""`chi-llm serve`: an OpenAI-compatible HTTP server over every provider chi_llm knows.

wire.py reads OpenAI requests into domain requests, replies.py writes OpenAI's response shapes,
errors.py maps chi_llm's errors to HTTP once, backends.py turns a request's `model` into a
backend, gate.py bounds concurrency per model, app.py is the Starlette application and
runner.py runs it under uvicorn with a graceful shutdown."""
