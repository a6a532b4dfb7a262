"""TorchServe's callers beyond JSON rows: raw bodies (text, images, multipart
files, `curl -T` with no Content-Type) into a model with one BYTES input, and
the management calls that scale workers and register models, as TorchServe's
documentation shows them."""
from __future__ import annotations

import json
import shutil
import subprocess
import threading

import onnx
import pytest
import requests
from e2e_lib import copy_models, mem, wait_until
from lifecycle_lib import ConstantLoad
from onnx import helper

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4  # binary bytes, not UTF-8


def _label_encoder_model() -> onnx.ModelProto:
    """raw: BYTES [N] -> code: INT64 [N]; cat 1, dog 2, anything else -1."""
    raw = helper.make_tensor_value_info("raw", onnx.TensorProto.STRING, [None])
    code = helper.make_tensor_value_info("code", onnx.TensorProto.INT64, [None])
    node = helper.make_node("LabelEncoder", ["raw"], ["code"], domain="ai.onnx.ml",
                            keys_strings=["cat", "dog"], values_int64s=[1, 2], default_int64=-1)  # fmt: skip
    graph = helper.make_graph([node], "pets", [raw], [code])
    return helper.make_model(graph, ir_version=mem.IR_VERSION, opset_imports=[
        helper.make_opsetid("", mem.ONNX_OPSET), helper.make_opsetid("ai.onnx.ml", 2)])  # fmt: skip


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    from e2e_lib import InferdServer

    repo = tmp_path_factory.mktemp("pets")
    path = repo / "pets" / "1" / "model.onnx"
    path.parent.mkdir(parents=True)
    path.write_bytes(_label_encoder_model().SerializeToString())
    (repo / "pets" / "config.pbtxt").write_text(
        'max_batch_size: 16\ndynamic_batching { max_queue_delay_microseconds: 2000 }\n')
    copy_models(mem.build_repository(tmp_path_factory.mktemp("ex"), ["logreg"]), repo, ["logreg"])
    server = InferdServer(repo, tmp_path_factory.mktemp("logs"))
    server.start()
    yield server
    assert server.stop() == 0


def test_raw_bodies_are_one_element_each(pets):
    url = pets.url("/predictions/pets")
    assert requests.post(url, data=b"dog", headers={"Content-Type": "text/plain"}, timeout=10).json() == 2
    assert requests.put(url, data=b"cat", headers={"Content-Type": "text/plain"}, timeout=10).json() == 1
    for media in ("image/png", "application/octet-stream"):
        r = requests.post(url, data=PNG, headers={"Content-Type": media}, timeout=10)
        assert r.status_code == 200 and r.json() == -1, r.text
    files = {"data": ("a.txt", b"cat"), "other": ("b.png", PNG), "third": ("c.txt", b"dog")}
    r = requests.post(url, files=files, timeout=10)
    assert r.status_code == 200 and r.json() == [1, -1, 2], r.text


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is installed by scripts/setup.sh")
def test_curl_upload_of_a_file(pets, tmp_path):
    image, text = tmp_path / "kitten.png", tmp_path / "pet.txt"
    image.write_bytes(PNG)
    text.write_bytes(b"dog")
    for path, want in ((image, -1), (text, 2)):
        out = subprocess.run(["curl", "-sS", "-T", str(path), pets.url("/predictions/pets")],
                             capture_output=True, text=True, timeout=60, check=True)  # fmt: skip
        assert json.loads(out.stdout) == want, out.stdout


def test_raw_bodies_under_concurrency_each_get_their_answer(pets):
    words = [b"cat", b"dog", b"fish"] * 12
    answers: dict[int, object] = {}

    def send(i: int):
        r = requests.post(pets.url("/predictions/pets"), data=words[i],
                          headers={"Content-Type": "text/plain"}, timeout=30)  # fmt: skip
        answers[i] = r.json() if r.status_code == 200 else r.text

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(words))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [answers[i] for i in range(len(words))] == [{b"cat": 1, b"dog": 2}.get(w, -1) for w in words]


def test_raw_body_for_a_model_without_a_bytes_input_is_refused(pets):
    r = requests.post(pets.url("/predictions/logreg"), data=PNG,
                      headers={"Content-Type": "image/png"}, timeout=10)  # fmt: skip
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == 400 and body["type"] == "BadRequestException"
    assert "one BYTES input" in body["message"]
    # JSON rows sent as text/plain are still JSON rows for such a model.
    rows = json.dumps([[0.5] * 30]).encode()
    ok = requests.post(pets.url("/predictions/logreg"), data=rows,
                       headers={"Content-Type": "text/plain"}, timeout=10)  # fmt: skip
    assert ok.status_code == 200, ok.text
    assert requests.get(pets.url("/ping"), timeout=10).json() == {"status": "Healthy"}


@pytest.fixture
def explicit(example_repo, inferd_factory, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg", "gbr"])
    return inferd_factory(repo, ["--model-control-mode", "explicit", "--load-model", "logreg"])


def _workers(server, model):
    desc = requests.get(server.url(f"/models/{model}"), timeout=10).json()[0]
    return desc["minWorkers"], len(desc["workers"])


def test_scale_workers_under_load(explicit):
    with ConstantLoad(explicit) as load:
        r = requests.put(explicit.url("/models/logreg?min_worker=2&max_worker=4&synchronous=true"),
                         timeout=60)  # fmt: skip
        assert r.status_code == 200, r.text
        assert r.json() == {"status": "Workers scaled to 2 for model: logreg"}
        assert _workers(explicit, "logreg") == (2, 2)
        r = requests.put(explicit.url("/models/logreg?min_worker=3"), timeout=60)
        assert r.status_code == 202 and r.json() == {"status": "Processing worker updates..."}
        wait_until(lambda: _workers(explicit, "logreg") == (3, 3), 60, what="3 workers")
    assert load.count() > 0 and load.failures() == []
    bad = requests.put(explicit.url("/models/logreg?min_worker=3&max_worker=2"), timeout=10)
    assert bad.status_code == 400 and bad.json()["message"] == "max_worker cannot be less than min_worker."
    missing = requests.put(explicit.url("/models/nope?min_worker=1"), timeout=10)
    assert missing.status_code == 404 and missing.json()["message"] == "Model not found: nope"


def test_scaling_outside_explicit_mode_is_refused_at_once(pets):
    r = requests.put(pets.url("/models/pets?min_worker=2"), timeout=10)
    assert r.status_code == 503 and "explicit" in r.json()["message"], r.text


def test_register_a_model(explicit, tmp_path):
    r = requests.post(explicit.url("/models?url=gbr"), timeout=60)
    assert r.status_code == 200, r.text
    workers = _workers(explicit, "gbr")[0]  # the instance count the config gives (cores)
    assert r.json() == {"status": f'Model "gbr" Version: 1 registered with {workers} initial workers'}
    x = mem.sample_inputs("gbr", n=2, seed=1)["float_input"].tolist()
    assert requests.post(explicit.url("/predictions/gbr"), json=x, timeout=30).status_code == 200
    missing = requests.post(explicit.url("/models"), timeout=10)
    assert missing.status_code == 400 and missing.json()["message"] == "Parameter url is required."
    remote = requests.post(explicit.url("/models?url=https://example.com/m.mar"), timeout=10)
    assert remote.status_code == 400 and "downloads nothing" in remote.json()["message"]
    unknown = requests.post(explicit.url("/models?url=no_such_model"), timeout=30)
    assert unknown.status_code == 500, unknown.text
    assert "failed to poll from model repository" in unknown.json()["message"]


def test_register_a_model_file(example_repo, inferd_factory, tmp_path):
    repo = copy_models(example_repo, tmp_path / "repo", ["logreg"])
    srv = inferd_factory(repo, [])
    model_file = tmp_path / "incoming.onnx"
    shutil.copy(repo / "logreg" / "1" / "model.onnx", model_file)
    r = requests.post(srv.url(f"/models?url={model_file}&model_name=fresh"), timeout=60)
    assert r.status_code == 200, r.text
    workers = _workers(srv, "fresh")[0]
    assert r.json() == {"status": f'Model "fresh" Version: 1 registered with {workers} initial workers'}
    x = mem.sample_inputs("logreg", n=1, seed=2)["float_input"].tolist()
    assert requests.post(srv.url("/predictions/fresh"), json=x, timeout=30).status_code == 200
