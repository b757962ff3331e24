"""Application layer: use-case services that depend only on domain ports."""
