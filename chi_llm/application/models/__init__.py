"""Model use cases: the store (find, fetch, remove), the library (what `chi-llm models` shows and
does), advice (what fits this machine) and hub references."""
