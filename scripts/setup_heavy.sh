#!/usr/bin/env bash
# The Python environment of `make test-heavy`: PyTorch, TensorFlow and tf2onnx
# (several GB, so not part of `make test`), pinned in requirements-heavy.txt,
# cached outside the clone like the main one. Prints its path on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${INFERD_CACHE:-$HOME/.cache/inferd}
venv="$CACHE/venv-heavy-$(sha256sum requirements-heavy.txt | cut -c1-12)"
if [ ! -f "$venv/.complete" ]; then
  echo "setup: creating the heavy Python environment $venv (PyTorch, TensorFlow)" >&2
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r requirements-heavy.txt >&2
  touch "$venv/.complete"
fi
echo "$venv"
