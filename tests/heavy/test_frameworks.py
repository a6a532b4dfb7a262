"""PyTorch (a whole module and TorchScript) and Keras models through
`inferd convert`, served, checked with `inferd verify`, and a CNN quantized
both ways with the reported accuracy checked against a separate evaluation."""
from __future__ import annotations

from pathlib import Path

import inferd  # the wheel make builds (build/python/site)
import numpy as np
import pytest
import torch  # requirements-heavy.txt
from e2e_lib import run_toolkit, wait_until


def digits(tmp: Path):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = (X / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)
    np.save(tmp / "images.npy", X_test)
    np.save(tmp / "labels.npy", y_test)
    return X_train, y_train, X_test, y_test


@pytest.fixture(scope="module")
def cnn(tmp_path_factory):
    """A small CNN trained on digits (8x8), saved whole and as TorchScript."""
    tmp = tmp_path_factory.mktemp("cnn")
    X_train, y_train, X_test, y_test = digits(tmp)
    torch.manual_seed(0)
    nn = torch.nn
    model = nn.Sequential(nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
                          nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(32 * 16, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = torch.optim.Adam(model.parameters(), 1e-3)
    x, y = torch.from_numpy(X_train), torch.from_numpy(y_train)
    for _ in range(15):
        order = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            batch = order[i:i + 64]
            optimizer.zero_grad()
            nn.functional.cross_entropy(model(x[batch]), y[batch]).backward()
            optimizer.step()
    model.eval()
    torch.save(model, tmp / "cnn.pt")
    torch.jit.trace(model, torch.from_numpy(X_test[:1])).save(str(tmp / "cnn_script.pt"))
    return tmp, model, X_test, y_test


def _serve_and_verify(inferd_factory, repo: Path, name: str, model_file: Path, sample: Path):
    srv = inferd_factory(repo)
    with inferd.Client(srv.base_url) as c:
        wait_until(lambda: c.is_model_ready(name), 60, what=f"{name} ready")
    done = run_toolkit("verify", model_file, "--name", name, "--url", srv.base_url, "--sample",
                   sample)
    print(f"--- verify {name}\n{done.stdout}")
    assert "FAILED" not in done.stdout
    grpc = run_toolkit("verify", model_file, "--name", name, "--grpc", srv.grpc_target,
                   "--sample", sample)
    assert "FAILED" not in grpc.stdout
    return srv


@pytest.mark.parametrize("file", ["cnn.pt", "cnn_script.pt"])
def test_pytorch_convert_serve_verify(cnn, inferd_factory, file):
    tmp, _, _, _ = cnn
    repo = tmp / f"repo_{file}"
    done = run_toolkit("convert", tmp / file, "--sample", tmp / "images.npy", "--repo", repo,
                   "--name", "cnn")
    print(f"--- convert {file}\n{done.stdout}")
    assert "ok" in done.stdout and "FAILED" not in done.stdout
    _serve_and_verify(inferd_factory, repo, "cnn", tmp / file, tmp / "images.npy")


def _accuracy(path: Path, X: np.ndarray, y: np.ndarray) -> float:
    import onnxruntime as ort

    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"input": X})[0]
    return float(np.mean(np.argmax(logits, axis=1) == y))


@pytest.mark.parametrize("mode", ["dynamic", "static"])
def test_cnn_quantization_table(cnn, mode):
    tmp, _, X_test, y_test = cnn
    repo = tmp / "repo_q"
    if not (repo / "cnn" / "1" / "model.onnx").exists():
        run_toolkit("convert", tmp / "cnn.pt", "--sample", tmp / "images.npy", "--repo", repo,
                "--name", "cnn")
    target = tmp / f"cnn_{mode}.onnx"
    done = run_toolkit("quantize", repo / "cnn" / "1" / "model.onnx", "--mode", mode, "--sample",
                   tmp / "images.npy", "--labels", tmp / "labels.npy", "--output", target)
    print(f"--- quantize cnn {mode}\n{done.stdout}")
    row = next(r for r in done.stdout.splitlines() if r.startswith("accuracy"))
    before, after = float(row.split()[1]), float(row.split()[2])
    if mode == "static":  # measured past the 512 rows that calibrated it
        X_test, y_test = X_test[512:], y_test[512:]
    assert before == pytest.approx(_accuracy(repo / "cnn" / "1" / "model.onnx", X_test,
                                             y_test), abs=1e-4)
    assert after == pytest.approx(_accuracy(target, X_test, y_test), abs=1e-4)
    assert before > 0.9
    batch = next(r for r in done.stdout.splitlines()
                 if r.startswith("latency,") and not r.startswith("latency, 1 row"))
    if mode == "dynamic" and float(batch.split()[-2]) > float(batch.split()[-3]):
        assert "--mode static" in done.stdout  # slower int8 convolutions: the table says why


def test_keras_convert_serve_verify(tmp_path, inferd_factory):
    import keras
    rng = np.random.default_rng(0)
    X = rng.random((400, 8)).astype(np.float32)
    y = (X.sum(axis=1) > 4).astype(np.int64)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(X, y, epochs=3, verbose=0)
    model.save(tmp_path / "mlp.keras")
    np.save(tmp_path / "x.npy", X)
    done = run_toolkit("convert", tmp_path / "mlp.keras", "--sample", tmp_path / "x.npy", "--repo",
                   tmp_path / "repo", "--name", "keras_mlp")
    print(f"--- convert keras\n{done.stdout}")
    assert "FAILED" not in done.stdout
    _serve_and_verify(inferd_factory, tmp_path / "repo", "keras_mlp", tmp_path / "mlp.keras",
                      tmp_path / "x.npy")
