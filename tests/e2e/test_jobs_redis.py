"""Batch jobs kept in a real Redis (`serve --jobs-redis`), shared by replicas:
two replicas run one job's chunks, one is killed with -9 mid-job and the
other finishes it with every row exactly once; any replica answers for a
job and serves its results; a cancel on one stops the others; Redis itself
killed and restarted mid-job (its append-only file on) loses nothing; and
a Redis that stops answering costs a job call 503 with the reason after
the timeout, calls waiting past the cap are refused at once, and addresses
that cannot work are refused at start with the reason."""
from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time

import pytest
import requests
from e2e_lib import INFERD_BIN, metric_value, scrape_metrics, wait_until
from redis_server import RedisServer
from routing_models import threshold_model, write_model
from test_jobs import job, jsonl, results, rows_of, submit, wait_final

LEASE_S = "2"


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path / "redis").start()
    yield server
    server.kill()


@pytest.fixture
def slow_repo(tmp_path):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5, slow=True))
    return repo


def replica(inferd_factory, repo, redis_server, tmp_path, name, extra=(), lease=LEASE_S):
    return inferd_factory(repo, ["--jobs-redis", redis_server.url, "--jobs-lease-seconds", lease,
                                 "--jobs-dir", str(tmp_path / f"jobs-{name}"),
                                 "--jobs-concurrency", "1", *extra])


def rows_done(srv) -> float:
    samples = scrape_metrics(srv.url("/metrics"))
    return metric_value(samples, "inferd_job_rows_total", outcome="completed") or 0


def x0s_for(n, seed):
    rng = random.Random(seed)
    return [round(rng.random(), 4) for _ in range(n)]


def check_every_row_once(srv, job_id, x0s):
    done = wait_final(srv, job_id, 600)
    assert done["state"] == "completed", done
    n = len(x0s)
    assert done["request_counts"] == {"total": n, "completed": n, "failed": 0}
    lines = jsonl(results(srv, job_id).text)
    assert [line["row"] for line in lines] == list(range(n))
    assert [line["prediction"]["label"] for line in lines] == [int(x > 0.5) for x in x0s]


def test_two_replicas_share_a_job_and_one_killed_mid_job_loses_no_row(
        tmp_path, inferd_factory, redis_server, slow_repo):
    a = replica(inferd_factory, slow_repo, redis_server, tmp_path, "a")
    b = replica(inferd_factory, slow_repo, redis_server, tmp_path, "b")
    x0s = x0s_for(60_000, 1)
    body = "".join(json.dumps(r) + "\n" for r in rows_of(x0s))
    submitted = submit(a, None, data=body, params={"model": "clf"},
                       headers={"Content-Type": "application/x-ndjson"})
    # B answers for a job it was not given, and runs its chunks too.
    wait_until(lambda: rows_done(a) > 0 and rows_done(b) > 0, 300, what="both replicas running")
    state = job(b, submitted["id"])
    assert state["state"] == "in_progress", state
    assert 0 < state["request_counts"]["completed"] < 60_000
    a.send_signal(signal.SIGKILL)
    a.proc.wait()
    a.stopped_rc = 0  # killed on purpose
    check_every_row_once(b, submitted["id"], x0s)
    assert rows_done(b) < 60_000  # A's rows were its own
    # A replica that comes back serves the results too, from Redis.
    a2 = replica(inferd_factory, slow_repo, redis_server, tmp_path, "a2")
    lines = jsonl(results(a2, submitted["id"]).text)
    assert [line["row"] for line in lines] == list(range(60_000))


def test_a_redis_restart_mid_job_loses_nothing(tmp_path, inferd_factory, redis_server, slow_repo):
    srv = replica(inferd_factory, slow_repo, redis_server, tmp_path, "a")
    x0s = x0s_for(30_000, 2)
    submitted = submit(srv, {"model": "clf", "rows": rows_of(x0s)})
    wait_until(lambda: job(srv, submitted["id"])["request_counts"]["completed"] > 0, 300,
               what="some rows done")
    redis_server.kill()
    # While Redis is away, a job cannot be read: 503, and the server serves on.
    r = requests.get(srv.url(f"/v1/jobs/{submitted['id']}"), timeout=30)
    assert r.status_code == 503, r.text
    assert requests.get(srv.url("/v2/health/live"), timeout=30).status_code == 200
    time.sleep(1.5)  # chunks finish and cannot be recorded meanwhile
    redis_server.start()
    check_every_row_once(srv, submitted["id"], x0s)


def test_a_cancel_on_one_replica_stops_them_all(tmp_path, inferd_factory, redis_server,
                                                slow_repo):
    a = replica(inferd_factory, slow_repo, redis_server, tmp_path, "a")
    b = replica(inferd_factory, slow_repo, redis_server, tmp_path, "b")
    submitted = submit(a, {"model": "clf", "rows": rows_of(x0s_for(60_000, 3))})
    wait_until(lambda: rows_done(a) > 0 and rows_done(b) > 0, 300, what="both replicas running")
    r = requests.post(b.url(f"/v1/jobs/{submitted['id']}/cancel"), timeout=30)
    assert r.status_code == 200 and r.json()["state"] == "cancelling", r.text
    cancelled = wait_final(a, submitted["id"], 120)
    assert cancelled["state"] == "cancelled", cancelled
    done_rows = cancelled["request_counts"]["completed"]
    assert 0 < done_rows < 60_000
    # Both stopped: the count holds still, and each replica's results agree.
    time.sleep(1)
    assert job(b, submitted["id"])["request_counts"]["completed"] == done_rows
    for srv in (a, b):
        rows = [line["row"] for line in jsonl(results(srv, submitted["id"]).text)]
        assert len(rows) == done_rows == len(set(rows)), srv.name
    # Deleted on B: gone for A too.
    assert requests.delete(b.url(f"/v1/jobs/{submitted['id']}"), timeout=30).status_code == 200
    assert requests.get(a.url(f"/v1/jobs/{submitted['id']}"), timeout=30).status_code == 404
    assert redis_server.cli("KEYS", "inferd:job:*") == ""


class OnlineLoad:
    """Inference requests to `srv` back to back, on a thread, until the block
    ends or the server goes: with --jobs-online-share 0.01 they slow the
    server's reading of a job's input to a crawl."""

    def __init__(self, srv):
        self.srv, self.stop = srv, threading.Event()
        self.thread = threading.Thread(target=self._run)

    def _run(self):
        with requests.Session() as session:
            while not self.stop.is_set():
                try:
                    session.post(self.srv.url("/v2/models/clf/infer"), timeout=5, json={
                        "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                    "data": [0.2, 0, 0, 0]}]})
                except requests.RequestException:
                    time.sleep(0.05)  # the server is gone, or busy restarting Redis

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()


def paced_replica(inferd_factory, repo, redis_server, tmp_path, name, lease=LEASE_S):
    return replica(inferd_factory, repo, redis_server, tmp_path, name,
                   ["--jobs-online-share", "0.01"], lease)


def upload(srv, x0s):
    body = "".join(json.dumps(r) + "\n" for r in rows_of(x0s))
    return submit(srv, None, data=body, params={"model": "clf"},
                  headers={"Content-Type": "application/x-ndjson"})


def test_a_job_whose_replica_dies_while_reading_its_input_fails_with_the_reason(
        tmp_path, inferd_factory, redis_server):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5))
    a = paced_replica(inferd_factory, repo, redis_server, tmp_path, "a")
    b = replica(inferd_factory, repo, redis_server, tmp_path, "b")
    with OnlineLoad(a):
        submitted = upload(a, x0s_for(400_000, 4))
        # A renews its lease while it reads: the key's time to live goes back up.
        key = f"inferd:job:{submitted['id']}:reader"
        ttls: list[int] = []

        def renewed() -> bool:
            ttls.append(int(redis_server.cli("PTTL", key)))
            return len(ttls) > 1 and ttls[-1] > ttls[-2] + 100

        wait_until(renewed, 30, interval_s=0.05, what="A to renew its reader lease")
        assert job(b, submitted["id"])["state"] == "validating"
        a.send_signal(signal.SIGKILL)
        a.proc.wait()
        a.stopped_rc = 0  # killed on purpose
    # Nobody else has the input: B fails the job once A's lease runs out.
    failed = wait_final(b, submitted["id"], 60)
    assert failed["state"] == "failed", failed
    assert "the replica reading its input stopped" in failed["error"], failed
    assert "submit the job again" in failed["error"], failed
    assert redis_server.cli("EXISTS", f"inferd:job:{submitted['id']}:reader") == "0"
    # A back on the same folder leaves the job as it is, and serves on.
    a2 = replica(inferd_factory, repo, redis_server, tmp_path, "a")
    time.sleep(1)
    assert job(a2, submitted["id"])["state"] == "failed"
    fresh = submit(a2, {"model": "clf", "rows": rows_of([0.2, 0.8])})
    assert wait_final(b, fresh["id"], 60)["state"] == "completed"


def test_a_reader_back_within_its_lease_reads_the_input_again_and_loses_nothing(
        tmp_path, inferd_factory, redis_server):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5))
    lease = "60"  # longer than a restart takes, even under the sanitizers
    a = paced_replica(inferd_factory, repo, redis_server, tmp_path, "a", lease)
    b = replica(inferd_factory, repo, redis_server, tmp_path, "b", lease=lease)
    x0s = x0s_for(200_000, 6)
    with OnlineLoad(a):
        submitted = upload(a, x0s)
        time.sleep(0.5)
        queued = f'"job":"{submitted["id"]}","state":"queued"'
        assert queued not in a.stderr(), "the input was read before A was killed"
        a.send_signal(signal.SIGKILL)
        a.proc.wait()
        a.stopped_rc = 0  # killed on purpose
    key = f"inferd:job:{submitted['id']}:reader"
    assert int(redis_server.cli("PTTL", key)) > 0, "A's lease should outlive A"
    assert job(b, submitted["id"])["state"] == "validating"
    # A back on its folder within the lease takes the reading up again; B,
    # looking on, neither fails the job nor reads it.
    replica(inferd_factory, repo, redis_server, tmp_path, "a", lease=lease)
    check_every_row_once(b, submitted["id"], x0s)
    assert redis_server.cli("EXISTS", key) == "0"


def test_a_redis_restart_while_an_input_is_read_loses_nothing(tmp_path, inferd_factory,
                                                              redis_server):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5))
    srv = paced_replica(inferd_factory, repo, redis_server, tmp_path, "a")
    # Another replica looks on: when Redis is back every lease has expired, and
    # it must not take the reader for gone before the reader has renewed.
    replica(inferd_factory, repo, redis_server, tmp_path, "b")
    x0s = x0s_for(300_000, 5)
    with OnlineLoad(srv):
        submitted = upload(srv, x0s)
        # Stopped the moment the job is accepted, Redis holds its reading up
        # part-way (300,000 rows are not read in that moment; the log proves it).
        redis_server.pause()
        time.sleep(0.5)
        queued = f'"job":"{submitted["id"]}","state":"queued"'
        assert queued not in srv.stderr(), "the input was read before Redis stopped"
        # Then away for longer than the lease, and until the reading has
        # needed it: the reading fails, and is tried again once Redis is back.
        redis_server.kill()
        time.sleep(2 * float(LEASE_S))
        wait_until(lambda: "job input to be read again" in srv.stderr(), 60,
                   what="the reading to fail for want of Redis")
        redis_server.start()
    check_every_row_once(srv, submitted["id"], x0s)


def test_a_stalled_redis_holds_up_job_calls_and_never_online_requests(
        tmp_path, inferd_factory, redis_server):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5))
    srv = replica(inferd_factory, repo, redis_server, tmp_path, "a", ["--http-threads", "2"])
    submitted = submit(srv, {"model": "clf", "rows": rows_of([0.2, 0.8])})
    assert wait_final(srv, submitted["id"], 60)["state"] == "completed"
    answered: list[int] = []

    def status():
        r = requests.get(srv.url(f"/v1/jobs/{submitted['id']}"), timeout=60)
        answered.append(r.status_code)

    redis_server.pause()
    callers = [threading.Thread(target=status) for _ in range(4)]
    try:
        for caller in callers:
            caller.start()
        time.sleep(0.5)  # the calls are waiting on Redis (for up to its 5 s timeout)
        # More job calls than the server has HTTP I/O threads (2) wait, and
        # online requests on fresh connections are answered meanwhile.
        with requests.Session() as session:
            for _ in range(20):
                r = session.post(srv.url("/v2/models/clf/infer"), timeout=30, json={"inputs": [
                    {"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [0.7, 0, 0, 0]}]})
                assert r.status_code == 200, r.text
        assert answered == [], "the job calls should still be waiting on Redis"
    finally:
        redis_server.resume()
        for caller in callers:
            caller.join()
    # Each call ended one way or the other: its answer, or 503 past the timeout.
    assert len(answered) == 4 and set(answered) <= {200, 503}, answered
    assert job(srv, submitted["id"])["state"] == "completed"


def replica_with_a_finished_job(inferd_factory, redis_server, tmp_path):
    """A replica of a plain threshold model, and the id of a two-row job it completed."""
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5))
    srv = replica(inferd_factory, repo, redis_server, tmp_path, "a")
    submitted = submit(srv, {"model": "clf", "rows": rows_of([0.2, 0.8])})
    assert wait_final(srv, submitted["id"], 60)["state"] == "completed"
    return srv, submitted["id"]


def test_a_job_call_to_a_redis_that_never_answers_gets_503_with_the_reason(
        tmp_path, inferd_factory, redis_server):
    srv, job_id = replica_with_a_finished_job(inferd_factory, redis_server, tmp_path)
    redis_server.pause()
    try:
        # Redis stays stopped until the answer comes: only the server's own
        # timeout (5 s a reply) can end the call.
        r = requests.get(srv.url(f"/v1/jobs/{job_id}"), timeout=120)
    finally:
        redis_server.resume()
    assert r.status_code == 503, r.text
    assert "did not answer within 5000 ms" in r.json()["error"], r.text
    # The dropped connection is made again at the next call.
    assert job(srv, job_id)["state"] == "completed"


def test_job_calls_past_the_waiting_cap_are_refused_at_once_and_the_rest_answered(
        tmp_path, inferd_factory, redis_server):
    srv, job_id = replica_with_a_finished_job(inferd_factory, redis_server, tmp_path)
    running, cap, extra = 2, 256, 14  # the calls' two threads, their queue, and more
    answers: list[tuple[int, str]] = []
    lock = threading.Lock()

    def status():
        try:
            r = requests.get(srv.url(f"/v1/jobs/{job_id}"), timeout=600)
            answer = (r.status_code, r.text)
        except requests.RequestException as e:  # recorded, so the count below says so
            answer = (0, repr(e))
        with lock:
            answers.append(answer)

    def refused() -> list[str]:
        with lock:
            return [text for code, text in answers if code == 503 and "too many" in text]

    redis_server.pause()
    callers = [threading.Thread(target=status) for _ in range(running + cap + extra)]
    try:
        for caller in callers:
            caller.start()
        wait_until(lambda: len(refused()) > 0, 60, what="calls past the cap to be refused")
        # Inference is served while the job calls' queue is full.
        r = requests.post(srv.url("/v2/models/clf/infer"), timeout=30, json={"inputs": [
            {"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [0.7, 0, 0, 0]}]})
        assert r.status_code == 200, r.text
    finally:
        redis_server.resume()
        for caller in callers:
            caller.join()
    assert len(answers) == len(callers)
    # At most `extra` refused (a call that timed out meanwhile frees a place,
    # so fewer may be), each with the reason; every call let in was answered:
    # its job, or 503 for one that waited on the stopped Redis past the timeout.
    assert 1 <= len(refused()) <= extra, len(refused())
    assert all("try again shortly" in text for text in refused())
    others = [(code, text) for code, text in answers if "too many" not in text]
    assert all(code == 200 or "did not answer" in text for code, text in others), others
    assert job(srv, job_id)["state"] == "completed"


@pytest.mark.parametrize("address,reason", [
    ("rediss://127.0.0.1:6380", "TLS"),
    ("http://127.0.0.1:6379", "must start with redis://"),
    ("redis://127.0.0.1:1", "cannot reach Redis"),
])
def test_a_redis_that_cannot_work_is_refused_at_start(tmp_path, address, reason):
    r = subprocess.run([str(INFERD_BIN), "serve", "--model-repository", str(tmp_path),
                        "--http-port", "0", "--grpc-port", "-1", "--jobs-redis", address],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode != 0
    assert reason in r.stderr + r.stdout
