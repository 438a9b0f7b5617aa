"""What the benchmarks share: where the repository and the shared data are, and loading a module by its file.

The scripts run as ``.venv/bin/python bench/NAME.py``: Python puts the script's folder, bench/, first on
``sys.path``, so ``from common import ...`` finds this file, and ``bot`` is installed in the project's venv.
Nothing here edits ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
# The simulated news web (server.py) and the labelled real pages sit beside the repository; the environment
# variables NEWSWEB and REALPAGES point elsewhere.
NEWSWEB = Path(os.environ.get("NEWSWEB", ROOT.parent / "shared" / "newsweb"))
REALPAGES = Path(os.environ.get("REALPAGES", ROOT.parent / "shared" / "realpages"))


def load(name: str, path: Path) -> ModuleType:
    """The module in the file ``path``, imported as ``name``: registered in ``sys.modules`` before it runs, as an
    import does (dataclasses and pickle look a class's module up there); loaded once."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}", name=name, path=str(path))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module
