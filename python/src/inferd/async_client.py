"""The asyncio HTTP client: inference, health, metadata and batch jobs, for
services that call inferd from an event loop. Administration (registry,
repository, labels) is on the synchronous Client. Use one AsyncClient per
event loop."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx

from . import _calls, _common
from ._common import Settings
from .tensors import InferResult


class AsyncClient:
    """inferd over HTTP from asyncio.

    >>> async with AsyncClient("http://localhost:8000") as c:
    ...     y = await c.predict("logreg", x)
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
        max_connections: int = 100,
    ) -> None:
        if api_key is None and token is None:
            api_key = os.environ.get("INFERD_API_KEY") or None
        self.settings = Settings(
            url.rstrip("/"), timeout, retries, backoff, api_key, token, verify, cert, headers
        )
        self._http = httpx.AsyncClient(
            base_url=self.settings.url,
            timeout=timeout,
            verify=_common.tls_context(verify, cert),
            headers=self.settings.base_headers(),
            limits=httpx.Limits(max_connections=max_connections),
        )
        self._metadata_cache: dict[tuple[str, str], dict[str, Any]] = {}

    async def close(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _run(self, call: _calls.Call) -> Any:
        attempt = 0
        failure: Exception | None = None
        while True:
            answer: _calls.Answer | None = None
            unsent = False
            try:
                r = await self._http.request(
                    call.method,
                    call.path,
                    params=call.params or None,
                    content=call.body,
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
            await asyncio.sleep(
                _common.next_attempt_delay(self.settings, call, attempt, answer, failure, unsent)
            )
            attempt += 1

    async def is_live(self) -> bool:
        return bool(await self._run(_calls.server_live()))

    async def is_ready(self) -> bool:
        return bool(await self._run(_calls.server_ready()))

    async def is_model_ready(self, model: str, version: str | int | None = None) -> bool:
        return bool(await self._run(_calls.model_ready(model, version)))

    async def server_metadata(self) -> dict[str, Any]:
        return dict(await self._run(_calls.server_metadata()))

    async def model_metadata(self, model: str, version: str | int | None = None) -> dict[str, Any]:
        return dict(await self._run(_calls.model_metadata(model, version)))

    async def infer(
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
        """As Client.infer."""
        key = (model, "" if version is None else str(version))
        if key not in self._metadata_cache:
            self._metadata_cache[key] = await self.model_metadata(model, version)
        named = _common.prepare_inputs(inputs, self._metadata_cache[key])
        return await self._run(
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

    async def predict(
        self,
        model: str,
        inputs: Any,
        *,
        version: str | int | None = None,
        outputs: Sequence[str] | None = None,
        as_frame: bool | None = None,
    ) -> Any:
        """As Client.predict."""
        result = await self.infer(model, inputs, version=version, outputs=outputs)
        return _common.predict_result(inputs, as_frame, result)

    async def submit_job(
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
        """As Client.submit_job."""
        call = _common.job_submission(
            model, data, file, input_path, version, output_format, key_field, join_input
        )
        return dict(await self._run(call))

    async def job(self, job_id: str) -> dict[str, Any]:
        return dict(await self._run(_calls.get_job(job_id)))

    async def wait_job(
        self,
        job_id: str,
        *,
        timeout: float | None = None,
        progress: bool = False,
        poll: float = 0.25,
    ) -> dict[str, Any]:
        """As Client.wait_job (no progress bar unless asked for)."""
        wait = _common.JobWait(job_id, timeout, progress)
        try:
            while not wait.ended(job := await self.job(job_id)):
                await asyncio.sleep(poll)
        finally:
            wait.close()
        return wait.result(job)

    async def job_results(self, job_id: str, *, as_frame: bool = False, raw: bool = False) -> Any:
        data = await self._run(_calls.job_results(job_id))
        return data if raw else _common.results_table(data, as_frame)

    async def cancel_job(self, job_id: str) -> dict[str, Any]:
        return dict(await self._run(_calls.cancel_job(job_id)))
