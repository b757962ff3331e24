"""Provider adapters: one module per provider family over the shared HTTP base (http/), the
registry of provider types and the finder of local servers."""
