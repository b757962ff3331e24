"""Shared HTTP machinery for remote providers: transport, stream framing, error mapping, base adapter."""
