"""`python -m chi_llm` runs the CLI."""

from chi_llm.entrypoints.cli import main

main()
