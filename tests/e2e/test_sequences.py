"""Triton's sequence batching, driven with tritonclient over HTTP, gRPC and
the gRPC stream: control inputs (START, READY, CORRID) filled by the server,
implicit state carried from each request to the next, sequences interleaved
and concurrent, idle sequences released, and a backlog when every slot is
taken. The model is an accumulator: OUTPUT = INPUT + (START ? 0 : STATE)."""
from __future__ import annotations

import queue
import threading
import time

import numpy as np
import onnx
import pytest
import tritonclient.grpc as grpcclient
import tritonclient.http as httpclient
from e2e_lib import TIME_SCALE, InferdServer, mem
from onnx import helper
from tritonclient.utils import InferenceServerException

CONFIG = """
max_batch_size: {batch}
instance_group [ {{ count: {instances} kind: KIND_CPU }} ]
input [ {{ name: "INPUT" data_type: TYPE_FP32 dims: [1] }} ]
output [ {{ name: "OUTPUT" data_type: TYPE_FP32 dims: [1] }}, {{ name: "CORRID_OUT" data_type: {corrid_type} dims: [1] }} ]
sequence_batching {{
  max_sequence_idle_microseconds: {idle}
  control_input [
    {{ name: "START" control [ {{ kind: CONTROL_SEQUENCE_START fp32_false_true: [0, 1] }} ] }},
    {{ name: "READY" control [ {{ kind: CONTROL_SEQUENCE_READY fp32_false_true: [0, 1] }} ] }},
    {{ name: "CORRID" control [ {{ kind: CONTROL_SEQUENCE_CORRID data_type: {corrid_type} }} ] }}
  ]
  state [ {{ input_name: "STATE_IN" output_name: "STATE_OUT" data_type: TYPE_FP32 dims: [1] }} ]
  {strategy}
}}
"""


def _accumulator(corrid: int) -> onnx.ModelProto:
    f = onnx.TensorProto.FLOAT
    vi = helper.make_tensor_value_info
    one = helper.make_tensor("one", f, [], [1.0])
    nodes = [
        helper.make_node("Sub", ["one", "START"], ["keep"]),
        helper.make_node("Mul", ["STATE_IN", "keep"], ["carried"]),
        helper.make_node("Add", ["carried", "INPUT"], ["sum"]),
        helper.make_node("Mul", ["sum", "READY"], ["OUTPUT"]),
        helper.make_node("Identity", ["sum"], ["STATE_OUT"]),
        helper.make_node("Identity", ["CORRID"], ["CORRID_OUT"]),
    ]
    graph = helper.make_graph(
        nodes, "accumulator",
        [vi(n, f, [None, 1]) for n in ("INPUT", "START", "READY", "STATE_IN")]
        + [vi("CORRID", corrid, [None, 1])],
        [vi("OUTPUT", f, [None, 1]), vi("STATE_OUT", f, [None, 1]), vi("CORRID_OUT", corrid, [None, 1])],
        initializer=[one])  # fmt: skip
    return helper.make_model(graph, ir_version=mem.IR_VERSION,
                             opset_imports=[helper.make_opsetid("", mem.ONNX_OPSET)])  # fmt: skip


def _write(repo, name, corrid=onnx.TensorProto.UINT64, corrid_type="TYPE_UINT64", batch=4,
           instances=2, idle=30000000, strategy="direct { }"):  # fmt: skip
    d = repo / name
    (d / "1").mkdir(parents=True)
    (d / "1" / "model.onnx").write_bytes(_accumulator(corrid).SerializeToString())
    (d / "config.pbtxt").write_text(CONFIG.format(batch=batch, instances=instances, idle=idle,
                                                  corrid_type=corrid_type, strategy=strategy))  # fmt: skip


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    repo = tmp_path_factory.mktemp("seq")
    _write(repo, "acc")
    _write(repo, "acc_oldest", strategy="oldest { max_candidate_sequences: 4 }")
    _write(repo, "acc_str", corrid=onnx.TensorProto.STRING, corrid_type="TYPE_STRING")
    # Idle sequences are released after 0.4 s here (30 s elsewhere: steps of
    # a slow run must not be mistaken for idleness).
    _write(repo, "acc_short_idle", idle=400000)
    # One slot in all: a second sequence waits for the first to end.
    _write(repo, "acc_one_slot", batch=1, instances=1, idle=30000000)
    server = InferdServer(repo, tmp_path_factory.mktemp("logs"))
    server.start()
    yield server
    assert server.stop() == 0


def _step(client, module, model, seq, value, start=False, end=False):
    inp = module.InferInput("INPUT", [1, 1], "FP32")
    inp.set_data_from_numpy(np.array([[value]], dtype=np.float32))
    r = client.infer(model, [inp], sequence_id=seq, sequence_start=start, sequence_end=end)
    return float(r.as_numpy("OUTPUT")[0, 0]), r


@pytest.mark.parametrize("module", [httpclient, grpcclient], ids=["http", "grpc"])
@pytest.mark.parametrize("model", ["acc", "acc_oldest"])
def test_interleaved_sequences_keep_their_own_state(srv, module, model):
    client = (module.InferenceServerClient(srv.host_port) if module is httpclient
              else module.InferenceServerClient(srv.grpc_target))  # fmt: skip
    a, b = 1001, 1002
    assert _step(client, module, model, a, 1, start=True)[0] == 1
    assert _step(client, module, model, b, 10, start=True)[0] == 10
    assert _step(client, module, model, a, 2)[0] == 3
    assert _step(client, module, model, b, 20)[0] == 30
    out, r = _step(client, module, model, a, 3, end=True)
    assert out == 6
    assert int(r.as_numpy("CORRID_OUT")[0, 0]) == a
    assert r.as_numpy("STATE_OUT") is None  # the state is the server's, not an answer
    assert _step(client, module, model, b, 5, end=True)[0] == 35
    # The same id starts afresh.
    assert _step(client, module, model, a, 7, start=True, end=True)[0] == 7


def test_string_correlation_ids(srv):
    client = grpcclient.InferenceServerClient(srv.grpc_target)
    assert _step(client, grpcclient, "acc_str", "user-7", 2, start=True)[0] == 2
    out, r = _step(client, grpcclient, "acc_str", "user-7", 3, end=True)
    assert out == 5 and r.as_numpy("CORRID_OUT")[0, 0] == b"user-7"
    with pytest.raises(InferenceServerException, match="takes numeric correlation IDs"):
        _step(client, grpcclient, "acc", "user-7", 1, start=True)


def test_the_grpc_stream_runs_sequences(srv):
    """Steps sent back to back on one stream run in stream order."""
    client = grpcclient.InferenceServerClient(srv.grpc_target)
    answers: queue.Queue = queue.Queue()
    client.start_stream(callback=lambda result, error: answers.put((result, error)))
    steps, sequences = 16, (2001, 2002, 2003)
    try:
        for k in range(steps):
            for seq in sequences:
                inp = grpcclient.InferInput("INPUT", [1, 1], "FP32")
                inp.set_data_from_numpy(np.array([[(k + 1) * (seq - 2000)]], dtype=np.float32))
                client.async_stream_infer("acc", [inp], request_id=f"{seq}-{k}", sequence_id=seq,
                                          sequence_start=k == 0, sequence_end=k == steps - 1)  # fmt: skip
        got = {}
        for _ in range(steps * len(sequences)):
            result, error = answers.get(timeout=60)
            assert error is None, error
            got[result.get_response().id] = float(result.as_numpy("OUTPUT")[0, 0])
    finally:
        client.stop_stream()
    for seq in sequences:
        scale = seq - 2000
        want = [scale * (k + 1) * (k + 2) / 2 for k in range(steps)]
        assert [got[f"{seq}-{k}"] for k in range(steps)] == want


def test_many_concurrent_sequences(srv):
    errors = []

    def run(seq):
        try:
            client = httpclient.InferenceServerClient(srv.host_port)
            total = 0.0
            for k in range(12):
                total += k + seq % 7
                out, _ = _step(client, httpclient, "acc", seq, k + seq % 7, start=k == 0, end=k == 11)
                if out != total:
                    errors.append((seq, k, out, total))
        except Exception as e:  # noqa: BLE001 - any failure is a finding
            errors.append((seq, repr(e)))

    threads = [threading.Thread(target=run, args=(3000 + i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []


def test_sequence_errors_in_tritons_words(srv):
    client = httpclient.InferenceServerClient(srv.host_port)
    inp = httpclient.InferInput("INPUT", [1, 1], "FP32")
    inp.set_data_from_numpy(np.ones((1, 1), dtype=np.float32))
    with pytest.raises(InferenceServerException, match="must specify a non-zero or non-empty correlation ID"):
        client.infer("acc", [inp])
    with pytest.raises(InferenceServerException, match="must specify the START flag on the first request"):
        client.infer("acc", [inp], sequence_id=4040)
    start = httpclient.InferInput("START", [1, 1], "FP32")
    start.set_data_from_numpy(np.ones((1, 1), dtype=np.float32))
    with pytest.raises(InferenceServerException, match="filled by the sequence batcher"):
        client.infer("acc", [inp, start], sequence_id=4041, sequence_start=True)
    assert client.is_server_live()


def test_an_idle_sequence_is_released(srv):
    client = httpclient.InferenceServerClient(srv.host_port)
    assert _step(client, httpclient, "acc_short_idle", 5005, 1, start=True)[0] == 1
    time.sleep(1.5 * TIME_SCALE)  # the model's max_sequence_idle_microseconds is 0.4 s
    with pytest.raises(InferenceServerException, match="must specify the START flag"):
        _step(client, httpclient, "acc_short_idle", 5005, 1)


def test_a_sequence_waits_for_a_free_slot(srv):
    client = httpclient.InferenceServerClient(srv.host_port)
    assert _step(client, httpclient, "acc_one_slot", 6001, 1, start=True)[0] == 1
    second = {}

    def run_second():
        other = httpclient.InferenceServerClient(srv.host_port)
        second["out"] = _step(other, httpclient, "acc_one_slot", 6002, 5, start=True, end=True)[0]
        second["done_at"] = time.monotonic()

    waiting = threading.Thread(target=run_second)
    waiting.start()
    time.sleep(0.5)
    assert second == {}  # the only slot is taken; the second sequence waits
    end_sent_at = time.monotonic()
    assert _step(client, httpclient, "acc_one_slot", 6001, 2, end=True)[0] == 3
    waiting.join(timeout=30)
    assert second["out"] == 5.0
    assert second["done_at"] > end_sent_at  # it ran only once the first sequence ended
