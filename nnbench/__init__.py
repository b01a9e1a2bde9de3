"""nnbench: reproducible benchmarks of the techniques that make neural-network training work."""

__version__ = "0.1.0"
