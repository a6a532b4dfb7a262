"""`make test-heavy`: the toolkit's PyTorch and TensorFlow conversions, which need
frameworks too large for `make test` (requirements-heavy.txt). The server and
its fixtures are the end-to-end suite's."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

E2E = Path(__file__).resolve().parent.parent / "e2e"
sys.path.insert(0, str(E2E))

# The end-to-end suite's conftest, under another name (this file is "conftest").
_spec = importlib.util.spec_from_file_location("e2e_conftest", E2E / "conftest.py")
assert _spec is not None and _spec.loader is not None
_e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_e2e)
example_repo = _e2e.example_repo
inferd_factory = _e2e.inferd_factory
