"""The SAAE's networks, each importable alone and built from a `ModelConfig`."""
