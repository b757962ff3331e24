"""Domain layer: value types, ports and errors. Standard library only."""
