"""Adapters: one module (or small package) per technology, each implementing a domain port."""
