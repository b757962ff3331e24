"""`chi-llm bridge`: JSON-RPC 2.0 over stdio, one JSON object per line, for the terminal UI.
stdout carries protocol messages only; logs go to stderr."""
