"""edgesim benchmarks: ``python -m benchmarks [name ...]`` (see benchmarks/README.md)."""
