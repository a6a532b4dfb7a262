"""`inferd verify`: the original model against the model as the server serves
it, on the same sample rows, over HTTP or gRPC — a deployment checked end to
end (conversion, the server's input handling and its answers)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .compare import Comparison, compare_outputs
from .conversion import reference_outputs
from .progress import Progress


def verify(
    original: Any,
    sample: Any,
    client: Any,
    name: str,
    *,
    version: str | int | None = None,
    atol: float = 1e-4,
    rtol: float = 1e-4,
    min_agreement: float = 1.0,
    batch: int = 512,
    progress: bool = True,
) -> Comparison:
    """Compare `original` (the trained model) on sample rows with what `client`
    (Client or GrpcClient) gets from the served model, output by output in the
    served model's order. The rows go in batches of `batch`, shaped as the
    served model's inputs declare (one 2-D input, or one input per column)."""
    reference = reference_outputs(original, sample)
    metadata = client.model_metadata(name, version)
    single = len(metadata.get("inputs", [])) == 1
    rows = len(sample)
    parts: list[list[np.ndarray]] = []
    bar = Progress(f"verify {name}", enabled=progress)
    try:
        for start in range(0, rows, batch):
            chunk = sample[start : start + batch]
            if single and hasattr(chunk, "to_numpy"):
                chunk = chunk.to_numpy()
            result = client.infer(name, chunk, version=version)
            parts.append(list(result.outputs.values()))
            bar.update(min(start + batch, rows), rows)
    finally:
        bar.close()
    served = [np.concatenate([p[i] for p in parts]) for i in range(len(parts[0]))]
    return compare_outputs(reference, served, atol=atol, rtol=rtol, min_agreement=min_agreement)
