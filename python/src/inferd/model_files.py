"""Loading a trained model from its file for convert and verify: scikit-learn,
XGBoost and LightGBM estimators (joblib or pickle), PyTorch modules (a whole
module saved with torch.save, or TorchScript), Keras models (.keras, .h5 or a
SavedModel directory). Pickles run code as they load: load only your own."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path
from typing import Any


def load_model_file(path: str | Path) -> Any:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file")
    suffix = p.suffix.lower()
    if suffix in (".joblib", ".jl"):
        import joblib

        return joblib.load(p)
    if suffix in (".pkl", ".pickle"):
        with p.open("rb") as f:
            return pickle.load(f)  # noqa: S301  (the user's own model file)
    if suffix in (".pt", ".pth"):
        import torch

        if _is_torchscript(p):
            return torch.jit.load(str(p))
        return torch.load(p, weights_only=False)
    if suffix in (".keras", ".h5") or (p.is_dir() and (p / "saved_model.pb").exists()):
        import keras

        return keras.models.load_model(p)
    raise ValueError(f"{p}: expected .joblib, .pkl, .pt/.pth, .keras/.h5 or a SavedModel directory")


def _is_torchscript(path: Path) -> bool:
    """TorchScript archives hold their code (<name>/code/...); torch.save's
    archives of a whole module hold only pickled data."""
    try:
        with zipfile.ZipFile(path) as archive:
            return any("/code/" in name for name in archive.namelist())
    except zipfile.BadZipFile:
        return False
