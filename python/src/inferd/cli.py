"""The toolkit's commands: python -m inferd convert|verify|quantize|push
(and, when this package is installed, `inferd convert ...`: the server binary
hands these four commands to it)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from . import __version__
from .errors import InferdError


def _pairs(values: list[str], cast: Any, flag: str) -> dict[str, Any]:
    out = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise SystemExit(f"{flag} takes key=value, not '{item}'")
        try:
            out[key] = cast(value)
        except ValueError:
            raise SystemExit(f"{flag} {key}: '{value}' is not a number") from None
    return out


def _shape(text: str | None) -> list[int] | None:
    if not text:
        return None
    try:
        return [int(d) for d in text.split(",")]
    except ValueError:
        raise SystemExit(
            f"--input-shape takes integers separated by commas, not '{text}'"
        ) from None


def _tolerances(p: argparse.ArgumentParser) -> None:
    p.add_argument("--atol", type=float, default=1e-4, help="absolute tolerance (1e-4)")
    p.add_argument(
        "--rtol", type=float, default=1e-4, help="tolerance relative to the original's value (1e-4)"
    )
    p.add_argument(
        "--min-agreement",
        type=float,
        default=1.0,
        help="share of rows whose labels must agree (1.0)",
    )


def _sample_args(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument(
        "--sample",
        required=required,
        help="sample rows: CSV, Parquet or .npy (features, and the --label column)",
    )
    p.add_argument("--label", help="the sample's column of true labels (kept out of the features)")
    p.add_argument("--labels", help="for a .npy sample: a .npy of its true labels, one per row")
    p.add_argument("--rows", type=int, help="use at most this many sample rows")


def _server_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", help="the server's HTTP address, e.g. http://localhost:8000")
    p.add_argument("--grpc", help="the server's gRPC address instead, e.g. localhost:8001")
    p.add_argument("--api-key", help="API key or JWT (default: $INFERD_API_KEY)")


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="inferd",
        description="inferd's Python toolkit: convert a trained model to ONNX, "
        "verify it against the server, quantize it, push it.",
    )
    top.add_argument("--version", action="version", version=f"inferd (Python) {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    c = sub.add_parser("convert", help="a trained model to ONNX, checked on sample rows")
    c.add_argument("model", help="the trained model's file (.joblib, .pkl, .pt, .keras, ...)")
    c.add_argument("--name", help="the model's name in the repository")
    c.add_argument("--repo", help="write <repo>/<name>/<version>/model.onnx")
    c.add_argument("--version", type=int, help="the version to write (default: the next)")
    c.add_argument("--output", help="write the ONNX file here instead")
    c.add_argument("--input-shape", help="for PyTorch/Keras without a sample: e.g. 1,3,224,224")
    _sample_args(c)
    _tolerances(c)

    v = sub.add_parser("verify", help="the original model against the model the server serves")
    v.add_argument("model", help="the trained model's file")
    v.add_argument("--name", required=True, help="the served model's name")
    v.add_argument("--model-version", help="a version, label or alias (default: the server's)")
    _server_args(v)
    _sample_args(v, required=True)
    _tolerances(v)

    q = sub.add_parser("quantize", help="int8 quantization with its accuracy change measured")
    q.add_argument("model", help="the float ONNX model")
    q.add_argument("--mode", choices=("dynamic", "static"), default="dynamic")
    q.add_argument("--output", help="the quantized file")
    q.add_argument("--repo", help="or: write <repo>/<name>/<version>/model.onnx")
    q.add_argument("--name")
    q.add_argument("--version", type=int)
    q.add_argument(
        "--max-accuracy-drop",
        type=float,
        help="refuse to write beyond this loss, as a fraction: 0.01 is one accuracy point, "
        "a 1%% higher RMSE, or 1%% of labels changed without labels)",
    )
    q.add_argument("--per-channel", action="store_true", help="per-channel weight scales")
    q.add_argument(
        "--calibration-rows", type=int, default=512, help="sample rows for static calibration (512)"
    )
    _sample_args(q)

    p = sub.add_parser("push", help="a model into a repository or the server's registry")
    p.add_argument("model", help="the ONNX file")
    p.add_argument("--name", required=True)
    p.add_argument("--repo", help="a model repository directory")
    _server_args(p)
    p.add_argument("--version", type=int, help="repository version (default: the next)")
    p.add_argument("--config", help="a config.pbtxt to go with it")
    p.add_argument("--description")
    p.add_argument("--tag", action="append", default=[], help="key=value, repeatable")
    p.add_argument("--metric", action="append", default=[], help="key=number, repeatable")
    p.add_argument("--stage", choices=("None", "Staging", "Production", "Archived"))
    p.add_argument(
        "--archive-existing",
        action="store_true",
        help="with --stage: move the stage's other versions to Archived",
    )
    p.add_argument("--alias", help="point this registry alias at the new version")
    _sample_args(p)
    return top


def _load_sample(args: argparse.Namespace) -> Any:
    from .sample import load_sample

    if not args.sample:
        if args.label or args.labels:
            raise SystemExit("--label and --labels describe a --sample: give one")
        return None
    return load_sample(args.sample, args.label, args.rows, args.labels)


def _client(args: argparse.Namespace) -> Any:
    if args.grpc:
        from .grpc_client import GrpcClient

        return GrpcClient(args.grpc, api_key=args.api_key)
    if not args.url:
        raise SystemExit("give the server: --url http://host:8000 or --grpc host:8001")
    from .client import Client

    return Client(args.url, api_key=args.api_key)


def run_convert(args: argparse.Namespace) -> int:
    from .conversion import convert
    from .model_files import load_model_file

    if not args.output and not args.repo:
        raise SystemExit("say where to write: --repo DIR --name NAME, or --output FILE")
    if args.repo and not args.name:
        raise SystemExit("--repo needs --name")
    sample = _load_sample(args)
    model = load_model_file(args.model)
    result = convert(
        model,
        sample=sample.features if sample else None,
        repo=args.repo,
        name=args.name,
        version=args.version,
        input_shape=_shape(args.input_shape),
        atol=args.atol,
        rtol=args.rtol,
        min_agreement=args.min_agreement,
        progress=True,
    )
    if args.output:
        Path(args.output).write_bytes(result.onnx.SerializeToString())
    print(f"converted {result.framework} model -> {result.path or args.output}")
    if result.comparison:
        print(result.comparison.table())
    else:
        print("not checked: give --sample to compare the outputs")
    return 0


def run_verify(args: argparse.Namespace) -> int:
    from .model_files import load_model_file
    from .verification import verify

    sample = _load_sample(args)
    client = _client(args)
    comparison = verify(
        load_model_file(args.model),
        sample.features,
        client,
        args.name,
        version=args.model_version,
        atol=args.atol,
        rtol=args.rtol,
        min_agreement=args.min_agreement,
    )
    print(f"{args.name} as served, against the original:")
    print(comparison.table())
    return 0 if comparison.passed else 1


def run_quantize(args: argparse.Namespace) -> int:
    import tempfile

    from .conversion import write_version
    from .quantization import quantize

    if bool(args.output) == bool(args.repo):
        raise SystemExit("say where to write: --output FILE, or --repo DIR --name NAME")
    if args.repo and not args.name:
        raise SystemExit("--repo needs --name")
    sample = _load_sample(args)
    rows = sample.array() if sample is not None else None
    labels = sample.labels if sample is not None else None
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(args.output) if args.output else Path(tmp) / "model.onnx"
        report = quantize(
            args.model,
            target,
            mode=args.mode,
            rows=rows,
            labels=labels,
            max_accuracy_drop=args.max_accuracy_drop,
            per_channel=args.per_channel,
            calibration_rows=args.calibration_rows,
        )
        if args.repo:
            target = write_version(Path(args.repo), args.name, target.read_bytes(), args.version)
    print(report.table())
    print(f"wrote {target}")
    return 0


def run_push(args: argparse.Namespace) -> int:
    from .push_model import push

    if bool(args.repo) == bool(args.url or args.grpc):
        raise SystemExit("push to one place: --repo DIR, or --url http://host:8000")
    if args.grpc:
        raise SystemExit("the registry is over HTTP: use --url")
    sample = _load_sample(args)
    result = push(
        args.model,
        args.name,
        repo=args.repo,
        client=_client(args) if args.url else None,
        version=args.version,
        config=Path(args.config).read_text() if args.config else None,
        description=args.description,
        tags=_pairs(args.tag, str, "--tag"),
        metrics=_pairs(args.metric, float, "--metric"),
        features=sample.features if sample is not None else None,
        stage=args.stage,
        alias=args.alias,
        archive_existing=args.archive_existing,
    )
    where = result.path if result.path else f"the registry ({args.url})"
    print(f"pushed {result.name} version {result.version} to {where}")
    return 0


COMMANDS = {
    "convert": run_convert,
    "verify": run_verify,
    "quantize": run_quantize,
    "push": run_push,
}


# The extra that installs a missing module.
EXTRAS = {
    "sklearn": "sklearn",
    "skl2onnx": "sklearn",
    "joblib": "sklearn",
    "xgboost": "xgboost",
    "lightgbm": "lightgbm",
    "onnxmltools": "xgboost",
    "torch": "torch",
    "tensorflow": "tensorflow",
    "tf2onnx": "tensorflow",
    "keras": "tensorflow",
    "onnx": "quantize",
    "onnxruntime": "quantize",
    "sympy": "quantize",
    "pandas": "pandas",
    "pyarrow": "parquet",
    "grpc": "grpc",
    "google": "grpc",
}


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (InferdError, ValueError, FileNotFoundError) as e:
        print(f"inferd {args.command}: {e}", file=sys.stderr)
        return 1
    except (RuntimeError, TypeError) as e:  # ONNX Runtime's and the frameworks' errors
        print(f"inferd {args.command}: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except ImportError as e:
        top = (e.name or "").split(".")[0]
        if top not in EXTRAS:
            raise
        print(
            f"inferd {args.command} needs {top}, which is not installed: "
            f"pip install 'inferd[{EXTRAS[top]}]'",
            file=sys.stderr,
        )
        return 1
