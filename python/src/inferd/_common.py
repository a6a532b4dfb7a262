"""What the sync and async HTTP clients share: settings, credentials,
backoff, and turning predictions into numpy or pandas."""

from __future__ import annotations

import csv
import datetime
import email.utils
import io
import json
import random
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import _calls
from .errors import ConnectionError, InferdError, TimeoutError
from .progress import Progress
from .tensors import InferResult, conform, normalize_inputs


@dataclass
class Settings:
    """How a client talks to one server.

    timeout: seconds for one attempt (connect, send and answer);
    retries: further attempts after a 503, or after a lost connection for
    calls that are safe to repeat; backoff: the first wait in seconds, doubled
    each time (with jitter) and never shorter than the server's Retry-After.
    api_key and token are sent as `Authorization: Bearer`; verify is True, False
    or a CA bundle's path for https; cert a client certificate (path, or
    (cert, key) paths) for mutual TLS."""

    url: str
    timeout: float = 60.0
    retries: int = 3
    backoff: float = 0.1
    api_key: str | None = None
    token: str | None = None
    verify: bool | str = True
    cert: str | tuple[str, str] | None = None
    headers: Mapping[str, str] | None = None

    def base_headers(self) -> dict[str, str]:
        headers = {"User-Agent": "inferd-python"}
        credential = self.token or self.api_key
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        headers.update(self.headers or {})
        return headers


def tls_context(verify: bool | str, cert: str | tuple[str, str] | None) -> ssl.SSLContext | bool:
    """What httpx takes for https: False (no verification), or a context
    trusting the system's CAs or the CA bundle at `verify`, with the client
    certificate (a PEM holding both, or (cert, key) paths) for mutual TLS."""
    if verify is False and cert is None:
        return False
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if verify is False:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if cert is not None:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


def retry_delay(settings: Settings, attempt: int, answer: _calls.Answer | None) -> float:
    """Seconds to wait before attempt number `attempt` + 1."""
    delay = settings.backoff * (2**attempt) * (0.5 + random.random())
    if answer is not None:
        delay = max(delay, _retry_after(answer.headers.get("retry-after", "")))
    return min(delay, 30.0)


def _retry_after(value: str) -> float:
    """Retry-After in seconds: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return 0.0
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max((when - datetime.datetime.now(datetime.timezone.utc)).total_seconds(), 0.0)


def should_retry(call: _calls.Call, answer: _calls.Answer | None, unsent: bool = False) -> bool:
    """503 always (the server did not act on the call); a connection that was
    never made always; one lost mid-call only when the call may run twice."""
    if answer is None:
        return unsent or call.idempotent
    return answer.status == 503


def input_names(metadata: Mapping[str, Any]) -> list[str]:
    return [str(t["name"]) for t in metadata.get("inputs", [])]


def prepare_inputs(inputs: Any, metadata: Mapping[str, Any]) -> dict[str, np.ndarray]:
    """Named arrays in the datatypes the model declares (see tensors.conform)."""
    return conform(normalize_inputs(inputs, input_names(metadata)), metadata)


def prediction(result: InferResult, frame: bool, index: Any = None) -> Any:
    """A one-output model's array, several outputs as a dict; or, for frame, a
    pandas DataFrame with a column per output (per output element for 2-D
    outputs: name_0, name_1, ...)."""
    if not frame:
        return result.first() if len(result.outputs) == 1 else dict(result.outputs)
    import pandas as pd  # only when a DataFrame was asked for

    columns: dict[str, Any] = {}
    for name, array in result.outputs.items():
        if array.ndim <= 1:
            columns[name] = array.reshape(-1)
        else:
            flat = array.reshape(array.shape[0], -1)
            for j in range(flat.shape[1]):
                columns[f"{name}_{j}"] = flat[:, j]
    return pd.DataFrame(columns, index=index)


def is_dataframe(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and hasattr(value, "columns")


def job_rows(data: Any) -> list[Any]:
    """Rows for an inline job: a 2-D array's rows, a DataFrame's records, or a
    list as it is."""
    if is_dataframe(data):
        return json.loads(data.to_json(orient="records"))
    if isinstance(data, np.ndarray):
        return data.tolist()
    return list(data)


def results_table(raw: bytes, frame: bool) -> Any:
    """A results file as a list of dicts, or a DataFrame: from JSONL, columns
    row, key, input (with join_input), one per output (prefixed "prediction."
    where a name is taken) and error; a CSV file as the server wrote it."""
    text = raw.decode("utf-8")
    if text.lstrip()[:1] not in ("{", ""):
        if frame:
            import pandas as pd

            return pd.read_csv(io.StringIO(text))
        return list(csv.DictReader(io.StringIO(text)))
    records = [json.loads(line) for line in text.splitlines() if line.strip()]
    if not frame:
        return records
    import pandas as pd

    flat = []
    for record in records:
        row: dict[str, Any] = {"row": record.get("row"), "key": record.get("key")}
        if "input" in record:
            row["input"] = record["input"]
        prediction_ = record.get("prediction")
        if isinstance(prediction_, dict):
            for name, value in prediction_.items():
                row[f"prediction.{name}" if name in _RESULT_COLUMNS else name] = value
        row["error"] = (record.get("error") or {}).get("message")
        flat.append(row)
    return pd.DataFrame(flat)


_RESULT_COLUMNS = ("row", "key", "input", "error")


def job_failed(job: Mapping[str, Any]) -> InferdError:
    return InferdError(
        0,
        f"job {job.get('id')} ended {job.get('state')}: {job.get('error') or job.get('errors')}",
        job,
    )


def next_attempt_delay(
    settings: Settings,
    call: _calls.Call,
    attempt: int,
    answer: _calls.Answer | None,
    failure: Exception | None,
    unsent: bool,
) -> float:
    """After a try that did not succeed: the seconds to wait before the next
    one, or the error to give up with (raised), for both HTTP clients."""
    if attempt >= settings.retries or not should_retry(call, answer, unsent):
        if answer is None:
            raise ConnectionError(0, f"cannot reach {settings.url}: {failure}") from failure
        _calls.raise_for(answer)
    return retry_delay(settings, attempt, answer)


def no_answer_in_time(settings: Settings, call: _calls.Call) -> TimeoutError:
    return TimeoutError(0, f"no answer within {settings.timeout} s ({call.method} {call.path})")


class JobWait:
    """A job followed until it ends, for both HTTP clients: draws its progress,
    enforces the timeout, and says how it ended."""

    def __init__(self, job_id: str, timeout: float | None, progress: bool) -> None:
        self.job_id, self.timeout = job_id, timeout
        self.bar = Progress(f"job {job_id}", enabled=progress)
        self.end = time.monotonic() + timeout if timeout else None

    def ended(self, job: Mapping[str, Any]) -> bool:
        """Whether this status of the job is final; raises past the timeout."""
        counts = job.get("request_counts", {})
        self.bar.update(
            counts.get("completed", 0) + counts.get("failed", 0),
            counts.get("total") or None,
            job.get("state", ""),
        )
        if job.get("state") in _calls.FINAL_JOB_STATES:
            return True
        if self.end is not None and time.monotonic() > self.end:
            raise TimeoutError(
                0, f"job {self.job_id} still {job.get('state')} after {self.timeout} s"
            )
        return False

    def result(self, job: dict[str, Any]) -> dict[str, Any]:
        """The completed job; a failed or cancelled one raises."""
        if job.get("state") != "completed":
            raise job_failed(job)
        return job

    def close(self) -> None:
        self.bar.close()


def predict_result(inputs: Any, as_frame: bool | None, result: InferResult) -> Any:
    """What every client's predict answers: an array, a dict of arrays, or a
    DataFrame (by default when the inputs were one, with their index)."""
    frame = is_dataframe(inputs) if as_frame is None else as_frame
    index = inputs.index if is_dataframe(inputs) else None
    return prediction(result, frame, index)


def job_submission(
    model: str,
    data: Any,
    file: str | Path | None,
    input_path: str | None,
    version: str | int | None,
    output_format: str | None,
    key_field: str | None,
    join_input: bool,
) -> _calls.Call:
    """The call that submits a job from exactly one of inline rows, a file to
    upload (CSV by its suffix, else JSONL) or a path under the input folder."""
    if sum(x is not None for x in (data, file, input_path)) != 1:
        raise ValueError("give exactly one of data, file and input_path")
    if file is not None:
        path = Path(file)
        return _calls.upload_job(
            model,
            version,
            path.read_bytes(),
            path.suffix.lower() == ".csv",
            output_format,
            key_field,
            join_input,
        )
    rows = job_rows(data) if data is not None else None
    return _calls.submit_job(model, version, rows, input_path, output_format, key_field, join_input)
