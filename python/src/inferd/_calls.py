"""Every HTTP call the clients make, as data: the request to send and how to
read the answer. The sync and async clients send these the same way, so each
endpoint is written once, here."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import numpy as np

from . import tensors
from .errors import InferdError, error_for


@dataclass
class Answer:
    """What came back: status, headers (lower-case names) and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes


@dataclass
class Call:
    """One request. idempotent calls are retried on 503 and lost connections;
    the others only on 503, which says the server did not act on them."""

    method: str
    path: str
    parse: Callable[[Answer], Any]
    params: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    idempotent: bool = True
    ok: tuple[int, ...] = (200, 201, 202)
    progress: str | None = None  # a label: show the body's upload on a terminal


def seg(value: str | int) -> str:
    """One path segment, escaped."""
    return quote(str(value), safe="@:")


def raise_for(answer: Answer) -> None:
    """The typed error for an answer that is not a success, with the server's
    message from whichever error shape it used ({"error"}, MLflow's
    {"error_code", "message"}, or plain text)."""
    message = answer.body.decode("utf-8", "replace").strip()
    body: Any = message
    try:
        body = json.loads(answer.body)
        if isinstance(body, dict):
            message = str(body.get("error") or body.get("message") or message)
    except ValueError:
        pass
    raise error_for(answer.status, message or f"HTTP {answer.status}", body)


def as_json(answer: Answer) -> Any:
    if not answer.body:
        return {}
    try:
        return json.loads(answer.body)
    except ValueError:
        raise InferdError(
            answer.status, "the server's answer is not JSON", answer.body[:200]
        ) from None


def as_bytes(answer: Answer) -> bytes:
    return answer.body


def _model_path(model: str, version: str | int | None) -> str:
    path = f"/v2/models/{seg(model)}"
    return path if version is None or version == "" else f"{path}/versions/{seg(version)}"


# ------------------------------------------------------------ health, models
# Health answers are yes/no: any status but 200 is "no", as tritonclient's
# is_*_ready read them; but a refused credential (401, 403) raises, so a bad
# key is not mistaken for a model that is not ready yet.
ANY_STATUS = tuple(c for c in range(100, 600) if c not in (401, 403))


def server_live() -> Call:
    return Call("GET", "/v2/health/live", lambda a: a.status == 200, ok=ANY_STATUS)


def server_ready() -> Call:
    return Call("GET", "/v2/health/ready", lambda a: a.status == 200, ok=ANY_STATUS)


def server_metadata() -> Call:
    return Call("GET", "/v2", as_json)


def model_ready(model: str, version: str | int | None) -> Call:
    return Call(
        "GET", _model_path(model, version) + "/ready", lambda a: a.status == 200, ok=ANY_STATUS
    )


def model_metadata(model: str, version: str | int | None) -> Call:
    return Call("GET", _model_path(model, version), as_json)


def model_config(model: str, version: str | int | None) -> Call:
    return Call("GET", _model_path(model, version) + "/config", as_json)


def model_statistics(model: str, version: str | int | None) -> Call:
    return Call("GET", _model_path(model, version) + "/stats", as_json)


def repository_index(ready_only: bool) -> Call:
    body = json.dumps({"ready": ready_only}).encode()
    return Call(
        "POST",
        "/v2/repository/index",
        as_json,
        body=body,
        headers={"Content-Type": "application/json"},
    )


def load_model(model: str, config: Mapping[str, Any] | None) -> Call:
    payload = {"parameters": {"config": json.dumps(config)}} if config else {}
    return Call(
        "POST",
        f"/v2/repository/models/{seg(model)}/load",
        lambda a: None,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )


def unload_model(model: str) -> Call:
    return Call(
        "POST",
        f"/v2/repository/models/{seg(model)}/unload",
        lambda a: None,
        body=b"{}",
        headers={"Content-Type": "application/json"},
    )


def set_label(model: str, label: str, version: int) -> Call:
    return Call(
        "PUT",
        f"/v2/repository/models/{seg(model)}/labels/{seg(label)}",
        lambda a: None,
        body=json.dumps({"version": version}).encode(),
        headers={"Content-Type": "application/json"},
    )


def remove_label(model: str, label: str) -> Call:
    return Call("DELETE", f"/v2/repository/models/{seg(model)}/labels/{seg(label)}", lambda a: None)


def infer(
    model: str,
    version: str | int | None,
    inputs: Mapping[str, np.ndarray],
    outputs: list[str] | None,
    binary: bool | None,
    request_id: str | None,
    parameters: Mapping[str, Any] | None,
    timeout_us: int | None,
) -> Call:
    encoded = tensors.encode_infer(inputs, outputs, binary, request_id, parameters)
    headers = dict(encoded.headers)
    if timeout_us:
        headers["Timeout"] = str(timeout_us)
    return Call(
        "POST",
        _model_path(model, version) + "/infer",
        lambda a: tensors.decode_infer(a.body, a.headers.get(tensors.HEADER_LENGTH.lower())),
        body=encoded.body,
        headers=headers,
    )


# ------------------------------------------------------------ registry
_REGISTRY = "/v1/registry"


def _registry(method: str, route: str, args: Mapping[str, Any], pick: str | None) -> Call:
    def parse(answer: Answer) -> Any:
        data = as_json(answer)
        return data.get(pick) if pick else data

    if method == "GET":
        return Call(
            method,
            f"{_REGISTRY}/{route}",
            parse,
            params={k: str(v) for k, v in args.items() if v is not None},
        )
    return Call(
        method,
        f"{_REGISTRY}/{route}",
        parse,
        body=json.dumps({k: v for k, v in args.items() if v is not None}).encode(),
        headers={"Content-Type": "application/json"},
        idempotent=method != "POST",
    )


def registry_call(method: str, route: str, pick: str | None = None, **args: Any) -> Call:
    """A registry route by its MLflow name (registered-models/get, ...)."""
    return _registry(method, route, args, pick)


def upload_version(model: str, onnx: bytes, config: str | None, description: str | None) -> Call:
    """A new registry version from the model's bytes (multipart when a config
    comes with it)."""
    if config is None:
        params = {"description": description} if description else {}
        return Call(
            "POST",
            f"{_REGISTRY}/models/{seg(model)}/versions",
            lambda a: as_json(a).get("model_version"),
            params=params,
            body=onnx,
            headers={"Content-Type": "application/octet-stream"},
            idempotent=False,
        )
    boundary = "inferd-py-" + np.random.default_rng().bytes(8).hex()
    parts = [("model", onnx), ("config", config.encode())]
    if description:
        parts.append(("description", description.encode()))
    chunks: list[bytes] = []
    for name, data in parts:
        chunks += [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode(),
            data,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return Call(
        "POST",
        f"{_REGISTRY}/models/{seg(model)}/versions",
        lambda a: as_json(a).get("model_version"),
        body=b"".join(chunks),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        idempotent=False,
    )


# ------------------------------------------------------------ jobs
def submit_job(
    model: str,
    version: str | int | None,
    rows: list[Any] | None,
    input_path: str | None,
    output_format: str | None,
    key_field: str | None,
    join_input: bool,
) -> Call:
    payload: dict[str, Any] = {"model": model}
    if version not in (None, ""):
        payload["version"] = str(version)
    if rows is not None:
        payload["rows"] = rows
    if input_path is not None:
        payload["input_path"] = input_path
    if output_format:
        payload["output_format"] = output_format
    if key_field:
        payload["key_field"] = key_field
    if join_input:
        payload["join_input"] = True
    return Call(
        "POST",
        "/v1/jobs",
        as_json,
        body=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        idempotent=False,
    )


def upload_job(
    model: str,
    version: str | int | None,
    data: bytes,
    csv: bool,
    output_format: str | None,
    key_field: str | None,
    join_input: bool,
) -> Call:
    params = {"model": model}
    if version not in (None, ""):
        params["version"] = str(version)
    if output_format:
        params["output_format"] = output_format
    if key_field:
        params["key_field"] = key_field
    if join_input:
        params["join_input"] = "true"
    return Call(
        "POST",
        "/v1/jobs",
        as_json,
        params=params,
        body=data,
        headers={"Content-Type": "text/csv" if csv else "application/x-ndjson"},
        idempotent=False,
    )


def get_job(job_id: str) -> Call:
    return Call("GET", f"/v1/jobs/{seg(job_id)}", as_json)


def list_jobs(limit: int, after: str | None, state: str | None) -> Call:
    params = {"limit": str(limit)}
    if after:
        params["after"] = after
    if state:
        params["state"] = state
    return Call("GET", "/v1/jobs", as_json, params=params)


def cancel_job(job_id: str) -> Call:
    return Call("POST", f"/v1/jobs/{seg(job_id)}/cancel", as_json)


def retry_job(job_id: str) -> Call:
    return Call("POST", f"/v1/jobs/{seg(job_id)}/retry", as_json, idempotent=False)


def delete_job(job_id: str) -> Call:
    return Call("DELETE", f"/v1/jobs/{seg(job_id)}", as_json)


def job_results(job_id: str) -> Call:
    return Call("GET", f"/v1/jobs/{seg(job_id)}/results", as_bytes)


FINAL_JOB_STATES = ("completed", "failed", "cancelled")
