"""The model vocabulary: specifications (spec), ids, hub references, the ports of the model store
and the typed results of the model use cases (views)."""
