"""edgesim: a simulated Huawei Cloud IEF edge platform."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "run_server"]


def __getattr__(name: str) -> Any:
    # Imported on first use: `import edgesim` (the CLI, the Chaos Toolkit extension) stays light.
    if name == "run_server":
        from edgesim.inprocess import run_server

        return run_server
    raise AttributeError(f"module 'edgesim' has no attribute {name!r}")
