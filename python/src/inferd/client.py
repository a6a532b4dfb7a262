"""The synchronous HTTP client (KServe v2 with the binary tensor extension,
the registry, the repository and batch jobs). One connection pool per
client; a Client may be shared by threads."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from . import _calls, _common
from ._common import Settings
from .errors import InferdError, TimeoutError
from .progress import Progress
from .tensors import InferResult


class Client:
    """inferd (or any KServe v2 server) over HTTP.

    >>> c = Client("http://localhost:8000")
    >>> c.predict("logreg", np.zeros((2, 30), np.float32))
    """

    def __init__(
        self,
        url: str = "http://localhost:8000",
        *,
        timeout: float = 60.0,
        retries: int = 3,
        backoff: float = 0.1,
        api_key: str | None = None,
        token: str | None = None,
        verify: bool | str = True,
        cert: str | tuple[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if api_key is None and token is None:
            api_key = os.environ.get("INFERD_API_KEY") or None
        self.settings = Settings(
            url.rstrip("/"), timeout, retries, backoff, api_key, token, verify, cert, headers
        )
        self._http = httpx.Client(
            base_url=self.settings.url,
            timeout=timeout,
            verify=_common.tls_context(verify, cert),
            headers=self.settings.base_headers(),
        )
        self._metadata_cache: dict[tuple[str, str], dict[str, Any]] = {}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---------------------------------------------------------------- sending
    def _run(self, call: _calls.Call) -> Any:
        attempt = 0
        failure: Exception | None = None
        while True:
            answer: _calls.Answer | None = None
            unsent = False
            try:
                r = self._http.request(
                    call.method,
                    call.path,
                    params=call.params or None,
                    content=_upload(call) if call.progress else call.body,
                    headers=call.headers,
                )
                answer = _calls.Answer(r.status_code, r.headers, r.content)
            except (httpx.ConnectTimeout, httpx.ConnectError) as e:
                failure, unsent = e, True  # never reached the server: safe to repeat
            except httpx.TimeoutException as e:
                raise _common.no_answer_in_time(self.settings, call) from e
            except httpx.TransportError as e:
                failure = e
            if answer is not None and answer.status in call.ok:
                return call.parse(answer)
            time.sleep(
                _common.next_attempt_delay(self.settings, call, attempt, answer, failure, unsent)
            )
            attempt += 1

    # ---------------------------------------------------------------- health
    def is_live(self) -> bool:
        return bool(self._run(_calls.server_live()))

    def is_ready(self) -> bool:
        return bool(self._run(_calls.server_ready()))

    def is_model_ready(self, model: str, version: str | int | None = None) -> bool:
        return bool(self._run(_calls.model_ready(model, version)))

    def server_metadata(self) -> dict[str, Any]:
        return dict(self._run(_calls.server_metadata()))

    def model_metadata(self, model: str, version: str | int | None = None) -> dict[str, Any]:
        """Inputs and outputs (name, datatype, shape) and the ready versions."""
        return dict(self._run(_calls.model_metadata(model, version)))

    def model_config(self, model: str, version: str | int | None = None) -> dict[str, Any]:
        return dict(self._run(_calls.model_config(model, version)))

    def model_statistics(self, model: str, version: str | int | None = None) -> dict[str, Any]:
        return dict(self._run(_calls.model_statistics(model, version)))

    def wait_until_ready(self, model: str | None = None, timeout: float = 60.0) -> None:
        """Poll until the server (or one model) is ready; raise after timeout s."""
        end = time.monotonic() + timeout
        while True:
            try:
                if self.is_model_ready(model) if model else self.is_ready():
                    return
            except InferdError:
                pass
            if time.monotonic() > end:
                raise TimeoutError(0, f"{model or 'the server'} not ready after {timeout} s")
            time.sleep(0.2)

    # ---------------------------------------------------------------- inference
    def infer(
        self,
        model: str,
        inputs: Any,
        *,
        version: str | int | None = None,
        outputs: Sequence[str] | None = None,
        binary: bool | None = None,
        request_id: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        timeout_us: int | None = None,
    ) -> InferResult:
        """One KServe v2 infer call. inputs: an array (one-input models), a dict
        of arrays, or a DataFrame. binary None sends arrays of 256 bytes and
        more as raw bytes, smaller ones as JSON; outputs always come back raw."""
        named = _common.prepare_inputs(inputs, self._model_inputs(model, version))
        return self._run(
            _calls.infer(
                model,
                version,
                named,
                list(outputs) if outputs else None,
                binary,
                request_id,
                parameters,
                timeout_us,
            )
        )

    def predict(
        self,
        model: str,
        inputs: Any,
        *,
        version: str | int | None = None,
        outputs: Sequence[str] | None = None,
        as_frame: bool | None = None,
    ) -> Any:
        """Outputs of one call: an array for a one-output model, else a dict;
        a DataFrame when the input was one (or as_frame)."""
        result = self.infer(model, inputs, version=version, outputs=outputs)
        return _common.predict_result(inputs, as_frame, result)

    def _model_inputs(self, model: str, version: str | int | None) -> dict[str, Any]:
        """The model's metadata, asked for once per client (forget() drops it)."""
        key = (model, "" if version is None else str(version))
        if key not in self._metadata_cache:
            self._metadata_cache[key] = self.model_metadata(model, version)
        return self._metadata_cache[key]

    def forget(self, model: str | None = None) -> None:
        """Drop what the client remembers of a model's inputs (all models with
        None), after its inputs changed on the server."""
        self._metadata_cache = {
            k: v for k, v in self._metadata_cache.items() if model is not None and k[0] != model
        }

    # ---------------------------------------------------------------- repository
    def repository_index(self, ready_only: bool = False) -> list[dict[str, Any]]:
        return list(self._run(_calls.repository_index(ready_only)))

    def load_model(self, model: str, config: Mapping[str, Any] | None = None) -> None:
        self._run(_calls.load_model(model, config))

    def unload_model(self, model: str) -> None:
        self._run(_calls.unload_model(model))

    def set_label(self, model: str, label: str, version: int) -> None:
        """Point a version label (e.g. "canary") at a ready version."""
        self._run(_calls.set_label(model, label, version))

    def remove_label(self, model: str, label: str) -> None:
        self._run(_calls.remove_label(model, label))

    # ---------------------------------------------------------------- registry
    def upload_version(
        self,
        model: str,
        onnx: bytes | str | Path,
        *,
        config: str | None = None,
        description: str | None = None,
        progress: bool = False,
    ) -> dict[str, Any]:
        """A new registry version from an ONNX file or its bytes; config (the
        config.pbtxt text) is taken with a model's first version only. progress
        draws the upload on a terminal."""
        data = Path(onnx).read_bytes() if isinstance(onnx, (str, Path)) else onnx
        call = _calls.upload_version(model, data, config, description)
        if progress:
            call.progress = f"upload {model}"
            call.headers["Content-Length"] = str(len(call.body or b""))
        return dict(self._run(call))

    def model_versions(self, model: str) -> list[dict[str, Any]]:
        return list(
            self._run(
                _calls.registry_call(
                    "GET",
                    "model-versions/search",
                    "model_versions",
                    filter="name='{}'".format(model.replace("'", "''")),
                )
            )
            or []
        )

    def model_version(self, model: str, version: str | int) -> dict[str, Any]:
        return dict(
            self._run(
                _calls.registry_call(
                    "GET", "model-versions/get", "model_version", name=model, version=str(version)
                )
            )
        )

    def set_stage(
        self, model: str, version: str | int, stage: str, archive_existing: bool = False
    ) -> dict[str, Any]:
        """Move a version to None, Staging, Production or Archived."""
        return dict(
            self._run(
                _calls.registry_call(
                    "POST",
                    "model-versions/transition-stage",
                    "model_version",
                    name=model,
                    version=str(version),
                    stage=stage,
                    archive_existing_versions=archive_existing,
                )
            )
        )

    def set_alias(self, model: str, alias: str, version: str | int) -> None:
        self._run(
            _calls.registry_call(
                "POST", "registered-models/alias", name=model, alias=alias, version=str(version)
            )
        )

    def delete_alias(self, model: str, alias: str) -> None:
        self._run(
            _calls.registry_call("DELETE", "registered-models/alias", name=model, alias=alias)
        )

    def set_version_tag(self, model: str, version: str | int, key: str, value: str) -> None:
        self._run(
            _calls.registry_call(
                "POST",
                "model-versions/set-tag",
                name=model,
                version=str(version),
                key=key,
                value=value,
            )
        )

    def log_metric(self, model: str, version: str | int, key: str, value: float) -> None:
        self._run(
            _calls.registry_call(
                "POST",
                "model-versions/set-metric",
                name=model,
                version=str(version),
                key=key,
                value=float(value),
            )
        )

    def registry(self, method: str, route: str, **args: Any) -> Any:
        """Any registry route by its MLflow name, e.g.
        registry("GET", "registered-models/get", name="m")."""
        return self._run(_calls.registry_call(method, route, **args))

    # ---------------------------------------------------------------- jobs
    def submit_job(
        self,
        model: str,
        data: Any = None,
        *,
        file: str | Path | None = None,
        input_path: str | None = None,
        version: str | int | None = None,
        output_format: str | None = None,
        key_field: str | None = None,
        join_input: bool = False,
    ) -> dict[str, Any]:
        """A batch job from inline rows (list, 2-D array or DataFrame), an
        uploaded JSONL or CSV file, or a path under the server's input folder."""
        call = _common.job_submission(
            model, data, file, input_path, version, output_format, key_field, join_input
        )
        return dict(self._run(call))

    def job(self, job_id: str) -> dict[str, Any]:
        return dict(self._run(_calls.get_job(job_id)))

    def jobs(self, state: str | None = None) -> list[dict[str, Any]]:
        """Every job this caller may see, following the pages."""
        out: list[dict[str, Any]] = []
        after = None
        while True:
            page = self._run(_calls.list_jobs(1000, after, state))
            out += page.get("jobs", [])
            if not page.get("has_more"):
                return out
            if not page.get("last_id") or page.get("last_id") == after:
                raise InferdError(0, "the job list says it has more without a place to go on")
            after = page.get("last_id")

    def wait_job(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        progress: bool = True,
        poll: float = 0.25,
    ) -> dict[str, Any]:
        """Poll until the job is completed, failed or cancelled, with a progress
        bar on a terminal; raise if it did not complete."""
        wait = _common.JobWait(job_id, timeout, progress)
        try:
            while not wait.ended(job := self.job(job_id)):
                time.sleep(poll)
        finally:
            wait.close()
        return wait.result(job)

    def job_results(self, job_id: str, *, as_frame: bool = False, raw: bool = False) -> Any:
        """The results in input order: a list of dicts (JSONL), a DataFrame, or
        the file's bytes as the server wrote them (raw, also for CSV)."""
        data = self._run(_calls.job_results(job_id))
        return data if raw else _common.results_table(data, as_frame)

    def cancel_job(self, job_id: str) -> dict[str, Any]:
        return dict(self._run(_calls.cancel_job(job_id)))

    def retry_job(self, job_id: str) -> dict[str, Any]:
        return dict(self._run(_calls.retry_job(job_id)))

    def delete_job(self, job_id: str) -> None:
        self._run(_calls.delete_job(job_id))


def _upload(call: _calls.Call) -> Iterator[bytes]:
    """The body in 1 MiB pieces, drawn as they are sent; made anew for each
    attempt."""
    body = call.body or b""
    bar = Progress(call.progress or "upload")
    try:
        for start in range(0, len(body), 1 << 20):
            yield body[start : start + (1 << 20)]
            bar.update(min(start + (1 << 20), len(body)), len(body), "bytes")
    finally:
        bar.close()


__all__ = ["Client"]
