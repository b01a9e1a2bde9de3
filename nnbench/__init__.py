"""nnbench: reproducible benchmarks of the techniques that make neural-network training work."""

__version__ = "0.1.0"


def __getattr__(name):
    # `nnbench.run(spec)` without importing the training stack at `import nnbench`.
    if name == "run":
        from nnbench.runs import run

        return run
    raise AttributeError(f"module 'nnbench' has no attribute {name!r}")
