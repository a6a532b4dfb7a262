"""`inferd push`: a model into a repository directory or the server's registry,
with its config, description, tags, metrics and the reference statistics of a
sample (stored in the ONNX file's metadata, key inferd.reference_stats, so
they travel with the model wherever it goes), optionally moving a stage or an
alias in the registry."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .conversion import write_version
from .stats import reference_stats

STATS_KEY = "inferd.reference_stats"
TAGS_KEY = "inferd.tags"
METRICS_KEY = "inferd.metrics"


@dataclass
class PushResult:
    """Where the model went: a file in a repository, or a registry version."""

    name: str
    version: str
    path: Path | None = None
    model_version: dict[str, Any] | None = None


def annotate(
    model_bytes: bytes,
    *,
    description: str | None,
    tags: dict[str, str],
    metrics: dict[str, float],
    features: Any | None,
) -> bytes:
    """The model with its description (doc_string), tags, metrics and reference
    statistics in its metadata_props."""
    import onnx

    model = onnx.load_from_string(model_bytes)
    props = {p.key: p.value for p in model.metadata_props}
    if description:
        model.doc_string = description
    if tags:
        props[TAGS_KEY] = json.dumps(tags, sort_keys=True)
    if metrics:
        props[METRICS_KEY] = json.dumps(metrics, sort_keys=True)
    if features is not None:
        props[STATS_KEY] = json.dumps(reference_stats(features), separators=(",", ":"))
    del model.metadata_props[:]
    for key, value in sorted(props.items()):
        model.metadata_props.add(key=key, value=value)
    return bytes(model.SerializeToString())


def push(
    model: str | Path,
    name: str,
    *,
    repo: str | Path | None = None,
    client: Any = None,
    version: int | None = None,
    config: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    metrics: dict[str, float] | None = None,
    features: Any | None = None,
    stage: str | None = None,
    alias: str | None = None,
    archive_existing: bool = False,
) -> PushResult:
    """Push to `repo` (a directory the server polls) or through `client` (a
    Client) into the registry. Stages and aliases are registry features."""
    if (repo is None) == (client is None):
        raise ValueError("push to exactly one of a repository (--repo) or a server (--url)")
    tags, metrics = tags or {}, metrics or {}
    data = annotate(
        Path(model).read_bytes(),
        description=description,
        tags=tags,
        metrics=metrics,
        features=features,
    )
    if repo is not None:
        if stage or alias:
            raise ValueError("stages and aliases live in the registry: push with --url")
        path = write_version(Path(repo), name, data, version, config)
        return PushResult(name, path.parent.name, path=path)
    if version is not None:
        raise ValueError("the registry numbers versions itself: drop --version")
    record = client.upload_version(
        name, data, config=config, description=description, progress=True
    )
    number = str(record.get("version"))
    for key, text in tags.items():
        client.set_version_tag(name, number, key, text)
    for key, metric in metrics.items():
        client.log_metric(name, number, key, metric)
    if stage:
        record = client.set_stage(name, number, stage, archive_existing)
    if alias:
        client.set_alias(name, alias, number)
    return PushResult(name, number, model_version=client.model_version(name, number))
