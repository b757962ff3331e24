"""Entrypoints: the library facade, the CLI and the dependency-injector container."""
