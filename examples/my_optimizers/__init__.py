"""Two optimizers of one's own, as a user would write them (docs/USAGE.md: "Benchmark your own
optimizer"). Name them in a spec or config by import path, from the repository root:
``optimizer: {name: "examples.my_optimizers:AdamW", lr: 0.001}``."""

from examples.my_optimizers.adamw import AdamW
from examples.my_optimizers.lion import Lion

__all__ = ["AdamW", "Lion"]
