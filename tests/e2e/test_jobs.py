"""Batch jobs through the real binary: inline rows, an uploaded CSV and a
file under the input folder; JSONL and CSV results in input order with
every row once; rows that fail alone; files that fail the job; cancel with
partial results and retry of what is left; kill -9 at random moments with
every row answered exactly once; the seeds' /predict/batch shape; retention."""
from __future__ import annotations

import csv
import io
import json
import os
import random
import signal
import subprocess
import threading
import time

import requests
from e2e_lib import INFERD_BIN, metric_value, scrape_metrics, wait_until
from routing_models import threshold_model, write_model


def repo_with(tmp_path, **models):
    repo = tmp_path / "repo"
    for name, model in models.items():
        write_model(repo, name, model)
    return repo


def submit(srv, body=None, **kwargs):
    r = requests.post(srv.url("/v1/jobs"), json=body, timeout=60, **kwargs)
    assert r.status_code == 202, r.text
    assert r.headers["Location"] == f"/v1/jobs/{r.json()['id']}"
    return r.json()


def job(srv, job_id):
    r = requests.get(srv.url(f"/v1/jobs/{job_id}"), timeout=30)
    assert r.status_code == 200, r.text
    return r.json()


def wait_final(srv, job_id, timeout_s=120):
    wait_until(lambda: job(srv, job_id)["state"] in ("completed", "failed", "cancelled"),
               timeout_s, what=f"job {job_id} to end")
    return job(srv, job_id)


def results(srv, job_id):
    r = requests.get(srv.url(f"/v1/jobs/{job_id}/results"), timeout=60)
    assert r.status_code == 200, r.text
    return r


def jsonl(text):
    return [json.loads(line) for line in text.splitlines() if line]


def rows_of(x0s):
    return [[x, 0.0, 0.0, 0.0] for x in x0s]


def test_inline_rows_answer_in_order_and_bad_rows_fail_alone(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5, fail_above=0.9)))
    good = [0.1, 0.7, 0.3, 0.6]
    rows = rows_of(good[:2]) + [[1.0, 2.0]] + ["text"] + rows_of([0.95]) + rows_of(good[2:])
    submitted = submit(srv, {"model": "clf", "rows": rows})
    assert submitted["state"] == "validating"
    done = wait_final(srv, submitted["id"])
    assert done["state"] == "completed", done
    assert done["request_counts"] == {"total": 7, "completed": 4, "failed": 3}
    assert [e["row"] for e in done["errors"]] == [2, 3, 4]
    assert done["errors"][0]["status"] == 400 and "[-1,4]" in done["errors"][0]["message"]
    assert "inference failed" in done["errors"][2]["message"]  # the model failed on that row
    assert done["rows_per_second"] > 0 and done["finished_at"] >= done["started_at"]
    lines = jsonl(results(srv, submitted["id"]).text)
    assert [line["row"] for line in lines] == list(range(7))
    labels = [line["prediction"]["label"] for line in lines if "prediction" in line]
    assert labels == [int(x > 0.5) for x in good]
    assert lines[4]["error"]["status"] == 400
    assert lines[0]["prediction"]["score"] == [1.0, 0.0]
    # The jobs by state are counted on the server's jobs thread, soon after a change.
    wait_until(lambda: metric_value(scrape_metrics(srv.url("/metrics")), "inferd_jobs",
                                    state="completed") == 1, 10, what="the completed job counted")
    samples = scrape_metrics(srv.url("/metrics"))
    assert metric_value(samples, "inferd_job_rows_total", outcome="failed") == 3
    assert metric_value(samples, "inferd_job_rows_waiting") == 0


def test_an_uploaded_csv_with_a_key_gets_csv_results_with_its_input(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)))
    rng = random.Random(7)
    x0s = [round(rng.random(), 3) for _ in range(1000)]
    text = io.StringIO()
    w = csv.writer(text)
    w.writerow(["user", "x0", "x1", "x2", "x3"])
    for i, x in enumerate(x0s):
        w.writerow([f"u{i}", x, 0, 0, 0])
    submitted = submit(srv, None, data=text.getvalue(),
                       params={"model": "clf", "key_field": "user", "output_format": "csv",
                               "join_input": "true"},
                       headers={"Content-Type": "text/csv"})
    assert submitted["input_format"] == "csv" and submitted["key_field"] == "user"
    done = wait_final(srv, submitted["id"])
    assert done["request_counts"] == {"total": 1000, "completed": 1000, "failed": 0}
    r = results(srv, submitted["id"])
    assert r.headers["Content-Type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert list(table[0].keys()) == ["row", "key", "user", "x0", "x1", "x2", "x3", "label",
                                     "score", "error_status", "error_message"]
    assert [t["key"] for t in table] == [f"u{i}" for i in range(1000)]
    assert [int(t["label"]) for t in table] == [int(x > 0.5) for x in x0s]
    assert all(t["error_status"] == "" for t in table)


def test_an_input_path_must_be_under_the_input_folder(tmp_path, inferd_factory):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "day1.jsonl").write_text("".join(json.dumps({"x": r}) + "\n"
                                               for r in rows_of([0.2, 0.8])))
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)),
                         ["--jobs-input-dir", str(inputs)])
    submitted = submit(srv, {"model": "clf", "input_path": "day1.jsonl"})
    done = wait_final(srv, submitted["id"])
    assert [line["prediction"]["label"] for line in jsonl(results(srv, done["id"]).text)] == [0, 1]
    outside = tmp_path / "secret.jsonl"
    outside.write_text("[1, 2, 3, 4]\n")
    for path in (str(outside), "../secret.jsonl"):
        r = requests.post(srv.url("/v1/jobs"), json={"model": "clf", "input_path": path},
                          timeout=30)
        assert r.status_code == 403 and "not under the jobs input folder" in r.text, r.text
    r = requests.post(srv.url("/v1/jobs"), json={"model": "clf", "input_path": "nope.jsonl"},
                      timeout=30)
    assert r.status_code == 404, r.text


def test_bad_files_and_bad_submissions_are_refused_with_the_reason(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)))
    not_jsonl = submit(srv, None, data="this is not json\n[1,2,3,4]\n",
                       params={"model": "clf"}, headers={"Content-Type": "application/x-ndjson"})
    failed = wait_final(srv, not_jsonl["id"])
    assert failed["state"] == "failed" and "not JSONL" in failed["error"], failed
    r = requests.get(srv.url(f"/v1/jobs/{failed['id']}/results"), timeout=30)
    assert r.status_code == 400 and "failed" in r.text
    no_key = submit(srv, None, data="a,b,c,d\n1,2,3,4\n",
                    params={"model": "clf", "key_field": "id"},
                    headers={"Content-Type": "text/csv"})
    failed = wait_final(srv, no_key["id"])
    assert failed["state"] == "failed" and "no column 'id'" in failed["error"], failed
    header_only = submit(srv, None, data="a,b,c,d\n", params={"model": "clf"},
                         headers={"Content-Type": "text/csv"})
    assert "no rows" in wait_final(srv, header_only["id"])["error"]
    for body, status, text in [
        ({"model": "missing", "rows": [[1, 2, 3, 4]]}, 404, "missing"),
        ({"model": "clf"}, 400, "exactly one of"),
        ({"model": "clf", "rows": []}, 400, "empty"),
        ({"model": "clf", "rows": [[1, 2, 3, 4]], "output_format": "xml"}, 400, "jsonl"),
        ({"model": "clf", "rows": [[1, 2, 3, 4]], "join_input": "yes"}, 400, "true or false"),
    ]:
        r = requests.post(srv.url("/v1/jobs"), json=body, timeout=30)
        assert r.status_code == status and text in r.text, (body, r.status_code, r.text)
    r = requests.get(srv.url("/v1/jobs/job_nope"), timeout=30)
    assert r.status_code == 404 and "job 'job_nope' not found" in r.text
    assert requests.get(srv.url("/v2/health/ready"), timeout=30).status_code == 200


def write_input(tmp_path, name, x0s):
    """A JSONL file of rows_of(x0s) in tmp_path/inputs: (the folder, the file)."""
    inputs = tmp_path / "inputs"
    inputs.mkdir(exist_ok=True)
    (inputs / name).write_text("".join(json.dumps(r) + "\n" for r in rows_of(x0s)))
    return inputs, inputs / name


def test_an_input_file_changed_under_its_job_fails_the_job_with_the_rows_at_stake(
        tmp_path, inferd_factory):
    # The job store keeps where each chunk's rows lie in the file, not the rows:
    # a file rewritten after validation must fail the job, never run other rows.
    x0s = [i / 5000 for i in range(5000)]
    inputs, data = write_input(tmp_path, "day1.jsonl", x0s)
    srv = inferd_factory(repo_with(tmp_path, slow=threshold_model(0.5, slow=True)),
                         ["--jobs-input-dir", str(inputs), "--jobs-concurrency", "1"])
    submitted = submit(srv, {"model": "slow", "input_path": "day1.jsonl"})
    wait_until(lambda: job(srv, submitted["id"])["request_counts"]["completed"] > 0, 120,
               what="some rows done")
    # Replaced whole (as a rotated file is): a reader never sees it half written.
    os.replace(write_input(tmp_path, "day1.tmp", [1 - x for x in x0s])[1], data)
    failed = wait_final(srv, submitted["id"])
    assert failed["state"] == "failed", failed
    assert "the job's input file changed since it was validated" in failed["error"], failed
    assert failed["request_counts"]["completed"] < 5000
    r = requests.get(srv.url(f"/v1/jobs/{submitted['id']}/results"), timeout=60)
    assert r.status_code == 400 and "input file changed" in r.text, r.text


def test_a_retry_is_refused_once_the_input_file_changed_and_the_results_stay(
        tmp_path, inferd_factory):
    x0s = [i / 100 for i in range(100)]
    inputs, data = write_input(tmp_path, "day2.jsonl", x0s)
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5, fail_above=0.8)),
                         ["--jobs-input-dir", str(inputs)])
    submitted = submit(srv, {"model": "clf", "input_path": "day2.jsonl"})
    done = wait_final(srv, submitted["id"])
    assert done["request_counts"] == {"total": 100, "completed": 81, "failed": 19}
    before = results(srv, submitted["id"]).text
    write_input(tmp_path, "day2.jsonl", [0.1] * 100)
    r = requests.post(srv.url(f"/v1/jobs/{submitted['id']}/retry"), timeout=30)
    assert r.status_code == 400 and "changed since it was validated" in r.text, r.text
    assert job(srv, submitted["id"])["state"] == "completed"
    assert results(srv, submitted["id"]).text == before


def test_cancel_keeps_partial_results_and_retry_finishes_the_rest(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, slow=threshold_model(0.5, slow=True)),
                         ["--jobs-concurrency", "1"])
    x0s = [i / 3000 for i in range(3000)]
    submitted = submit(srv, {"model": "slow", "rows": rows_of(x0s)})
    wait_until(lambda: job(srv, submitted["id"])["request_counts"]["completed"] > 0, 120,
               what="some rows done")
    r = requests.post(srv.url(f"/v1/jobs/{submitted['id']}/cancel"), timeout=30)
    assert r.status_code == 200 and r.json()["state"] == "cancelling", r.text
    cancelled = wait_final(srv, submitted["id"])
    assert cancelled["state"] == "cancelled", cancelled
    partial = jsonl(results(srv, submitted["id"]).text)
    done_rows = cancelled["request_counts"]["completed"]
    assert 0 < len(partial) == done_rows < 3000
    assert [line["row"] for line in partial] == list(range(done_rows))  # whole chunks, in order
    r = requests.post(srv.url(f"/v1/jobs/{submitted['id']}/cancel"), timeout=30)
    assert r.status_code == 400 and "nothing to cancel" in r.text
    r = requests.delete(srv.url(f"/v1/jobs/{submitted['id']}"), timeout=30)
    assert r.status_code == 200  # a final job may go; this one we keep below instead
    # A new job, cancelled the same way, then retried: it finishes where it stopped.
    again = submit(srv, {"model": "slow", "rows": rows_of(x0s)})
    wait_until(lambda: job(srv, again["id"])["request_counts"]["completed"] > 0, 120,
               what="some rows done")
    requests.post(srv.url(f"/v1/jobs/{again['id']}/cancel"), timeout=30)
    assert wait_final(srv, again["id"])["state"] == "cancelled"
    r = requests.post(srv.url(f"/v1/jobs/{again['id']}/retry"), timeout=30)
    assert r.status_code == 202, r.text
    finished = wait_final(srv, again["id"], 300)
    assert finished["state"] == "completed"
    assert finished["request_counts"] == {"total": 3000, "completed": 3000, "failed": 0}
    lines = jsonl(results(srv, again["id"]).text)
    assert [line["row"] for line in lines] == list(range(3000))
    assert [line["prediction"]["label"] for line in lines] == [int(x > 0.5) for x in x0s]


def test_retry_runs_only_the_failed_rows_again(tmp_path, inferd_factory):
    repo = repo_with(tmp_path, clf=threshold_model(0.5, fail_above=0.8))
    srv = inferd_factory(repo, ["--model-control-mode", "explicit", "--load-model", "*"])
    x0s = [i / 100 for i in range(100)]
    submitted = submit(srv, {"model": "clf", "rows": rows_of(x0s)})
    done = wait_final(srv, submitted["id"])
    assert done["request_counts"] == {"total": 100, "completed": 81, "failed": 19}
    r = requests.post(srv.url(f"/v1/jobs/{submitted['id']}/retry"), timeout=30)
    assert r.status_code == 202
    assert wait_final(srv, submitted["id"])["request_counts"]["failed"] == 19  # same model
    # Version 2 no longer fails; a retry runs the 19 rows on it, and only them.
    write_model(repo, "clf", threshold_model(0.5), version=2)
    r = requests.post(srv.url("/v2/repository/models/clf/load"), timeout=60)
    assert r.status_code == 200, r.text
    assert requests.post(srv.url(f"/v1/jobs/{submitted['id']}/retry"), timeout=30).ok
    retried = wait_final(srv, submitted["id"])
    assert retried["request_counts"] == {"total": 100, "completed": 100, "failed": 0}
    assert retried["errors"] == []
    lines = jsonl(results(srv, submitted["id"]).text)
    assert [line["row"] for line in lines] == list(range(100))
    assert [line["prediction"]["label"] for line in lines] == [int(x > 0.5) for x in x0s]
    r = requests.post(srv.url(f"/v1/jobs/{submitted['id']}/retry"), timeout=30)
    assert r.status_code == 400 and "no failed rows" in r.text


def test_kill_9_at_random_moments_answers_every_row_exactly_once(tmp_path, inferd_factory):
    # Slow per request (a fixed 13 GFLOP), so the job runs long enough to be
    # killed five times in the middle: about 200 chunks of 1,024 rows.
    repo = repo_with(tmp_path, clf=threshold_model(0.5, slow=True))
    rng = random.Random(20261201)
    x0s = [round(rng.random(), 4) for _ in range(200_000)]
    body = "".join(json.dumps(r) + "\n" for r in rows_of(x0s))
    args = ["--jobs-concurrency", "1"]
    srv = inferd_factory(repo, args)
    submitted = submit(srv, None, data=body, params={"model": "clf"},
                       headers={"Content-Type": "application/x-ndjson"})
    for kill in range(5):
        time.sleep(rng.uniform(0.5, 2.5))
        state = job(srv, submitted["id"])["state"]
        assert state in ("validating", "queued", "in_progress"), (kill, state)  # mid-job
        srv.send_signal(signal.SIGKILL)
        srv.proc.wait()
        srv.stopped_rc = 0  # killed on purpose
        srv = inferd_factory(repo, args)
    done = wait_final(srv, submitted["id"], 600)
    assert done["state"] == "completed", done
    assert done["request_counts"] == {"total": 200_000, "completed": 200_000, "failed": 0}
    lines = jsonl(results(srv, submitted["id"]).text)
    assert [line["row"] for line in lines] == list(range(200_000))
    assert [line["prediction"]["label"] for line in lines] == [int(x > 0.5) for x in x0s]


def test_the_seeds_predict_batch_shape(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)))
    r = requests.post(srv.url("/predict/batch"),
                      json={"model": "clf", "data": rows_of([0.9, 0.1, 0.6])}, timeout=30)
    assert r.status_code == 200 and set(r.json()) == {"task_id"}, r.text
    task = r.json()["task_id"]
    seen = set()

    def status():
        answer = requests.get(srv.url(f"/predict/batch/{task}"), timeout=30).json()
        seen.add(answer["status"])
        return answer

    wait_until(lambda: status()["status"] == "completed", 60, what="the batch")
    assert status() == {"status": "completed", "result": [1, 0, 1], "failed_rows": 0}
    assert seen <= {"pending", "completed"}
    r = requests.post(srv.url("/predict/batch"), json={"data": rows_of([0.2])},
                      headers={"X-Model": "clf"}, timeout=30)
    assert r.status_code == 200
    r = requests.post(srv.url("/predict/batch"), json={"model": "clf"}, timeout=30)
    assert r.status_code == 400 and "data" in r.text


def test_finished_jobs_expire_with_their_files(tmp_path, inferd_factory):
    jobs_dir = tmp_path / "jobs"
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)),
                         ["--jobs-retention-hours", "0.001", "--jobs-dir", str(jobs_dir)])
    submitted = submit(srv, {"model": "clf", "rows": rows_of([0.3])})
    assert wait_final(srv, submitted["id"])["state"] == "completed"
    assert (jobs_dir / submitted["id"]).is_dir()
    wait_until(lambda: requests.get(srv.url(f"/v1/jobs/{submitted['id']}"),
                                    timeout=30).status_code == 404, 30, what="the job to expire")
    # The record goes first, then the folder, both in the same sweep.
    wait_until(lambda: not (jobs_dir / submitted["id"]).exists(), 30,
               what="the job's folder to go with it")


def test_the_cli_submits_a_csv_follows_it_and_downloads_the_results(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)))
    data = tmp_path / "users.csv"
    data.write_text("user_id,x0,x1,x2,x3\n" + "".join(f"u{i},{i / 10},0,0,0\n" for i in range(10)))

    def cli(*args):
        return subprocess.run([str(INFERD_BIN), "jobs", "--url", srv.base_url, *args],
                              check=False, capture_output=True, text=True, timeout=120)

    out = cli("submit", "--model", "clf", "--key-field", "user_id", "--output-format", "csv",
              "--wait", str(data))
    assert out.returncode == 0, out.stderr
    job_id = out.stdout.split()[1]
    assert "completed" in out.stdout and "10/10 rows, 0 failed" in out.stdout, out.stdout
    assert job_id in cli("list").stdout
    assert json.loads(cli("status", job_id).stdout)["state"] == "completed"
    results_file = tmp_path / "out.csv"
    assert cli("results", job_id, "-o", str(results_file)).returncode == 0
    table = list(csv.DictReader(results_file.open()))
    assert [t["key"] for t in table] == [f"u{i}" for i in range(10)]
    assert [t["label"] for t in table] == ["0"] * 6 + ["1"] * 4
    missing = cli("status", "job_missing")
    assert missing.returncode == 1 and "not found" in missing.stderr
    assert cli("delete", job_id).returncode == 0


def test_the_job_list_comes_a_page_at_a_time(tmp_path, inferd_factory):
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)))
    ids = [submit(srv, {"model": "clf", "rows": rows_of([i / 10])})["id"] for i in range(5)]
    for job_id in ids:
        wait_final(srv, job_id)

    def page(**params):
        r = requests.get(srv.url("/v1/jobs"), params=params, timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    seen, after = [], None
    while True:
        p = page(limit=2, **({"after": after} if after else {}))
        assert len(p["jobs"]) <= 2
        seen += [j["id"] for j in p["jobs"]]
        if not p["has_more"]:
            break
        after = p["last_id"]
        assert after == p["jobs"][-1]["id"]
    assert seen == ids  # oldest first, each once
    everything = page()
    assert [j["id"] for j in everything["jobs"]] == ids and not everything["has_more"]
    assert everything["last_id"] == ids[-1]
    assert [j["id"] for j in page(state="completed")["jobs"]] == ids
    assert page(state="in_progress") == {"jobs": [], "has_more": False, "last_id": None}
    for bad in ({"limit": "0"}, {"limit": "1001"}, {"limit": "x"}, {"state": "done"},
                {"after": "job_gone"}):
        r = requests.get(srv.url("/v1/jobs"), params=bad, timeout=30)
        assert r.status_code == 400, (bad, r.text)
        assert "error" in r.json(), r.text
    # The CLI follows the pages.
    out = subprocess.run([str(INFERD_BIN), "jobs", "--url", srv.base_url, "list"], check=False,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert [line.split()[0] for line in out.stdout.splitlines()] == ids


def test_paced_jobs_wait_for_online_requests_and_still_answer_every_row_once(
        tmp_path, inferd_factory):
    # --jobs-online-share: while online requests arrive the job's work waits,
    # and the wait is counted; with none arriving it never waits.
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)),
                         ["--jobs-concurrency", "1", "--jobs-online-share", "0.05"])
    rng = random.Random(20261202)
    x0s = [round(rng.random(), 4) for _ in range(30_000)]
    body = "".join(json.dumps(r) + "\n" for r in rows_of(x0s))
    paced = "inferd_job_paced_seconds_total"
    assert metric_value(scrape_metrics(srv.url("/metrics")), paced) == 0.0
    stop, online, crashed = threading.Event(), [], []

    def online_traffic():
        try:
            with requests.Session() as session:
                while not stop.is_set():
                    r = session.post(srv.url("/v2/models/clf/infer"), timeout=30, json={
                        "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                    "data": [0.7, 0.0, 0.0, 0.0]}]})
                    online.append((r.status_code, r.text))
        except Exception as e:  # noqa: BLE001 - reported by the test below
            crashed.append(repr(e))

    sender = threading.Thread(target=online_traffic)
    sender.start()
    try:
        wait_until(lambda: len(online) > 0, 30, what="an online answer")
        submitted = submit(srv, None, data=body, params={"model": "clf"},
                           headers={"Content-Type": "application/x-ndjson"})
        done = wait_final(srv, submitted["id"], 300)
    finally:
        stop.set()
        sender.join()
    assert done["state"] == "completed", done
    assert done["request_counts"] == {"total": 30_000, "completed": 30_000, "failed": 0}
    lines = jsonl(results(srv, submitted["id"]).text)
    assert [line["row"] for line in lines] == list(range(30_000))
    assert [line["prediction"]["label"] for line in lines] == [int(x > 0.5) for x in x0s]
    assert not crashed, crashed
    assert online and all(status == 200 for status, _ in online), online[:3]
    # A wait under way when the traffic stopped ends within one pass (100 ms):
    # the count settles.
    counts = [metric_value(scrape_metrics(srv.url("/metrics")), paced)]
    while True:
        time.sleep(0.3)
        counts.append(metric_value(scrape_metrics(srv.url("/metrics")), paced))
        if counts[-1] == counts[-2] or len(counts) > 20:
            break
    waited = counts[-1]
    assert waited > 0, "the job never waited for the online requests"
    # No online request now: a second job runs without waiting at all.
    time.sleep(0.2)
    again = submit(srv, None, data=body, params={"model": "clf"},
                   headers={"Content-Type": "application/x-ndjson"})
    assert wait_final(srv, again["id"], 300)["state"] == "completed"
    assert metric_value(scrape_metrics(srv.url("/metrics")), paced) == waited


def test_a_job_cancelled_while_its_input_is_read_ends_cancelled_and_is_not_retried(
        tmp_path, inferd_factory):
    # Paced at 1% under online traffic, reading the input takes seconds: the
    # cancel lands while the job is validating.
    srv = inferd_factory(repo_with(tmp_path, clf=threshold_model(0.5)),
                         ["--jobs-concurrency", "1", "--jobs-online-share", "0.01"])
    body = "".join(json.dumps(r) + "\n" for r in rows_of([0.25] * 400_000))
    stop = threading.Event()

    def online_traffic():
        with requests.Session() as session:
            while not stop.is_set():
                session.post(srv.url("/v2/models/clf/infer"), timeout=30, json={
                    "inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4],
                                "data": [0.7, 0.0, 0.0, 0.0]}]})

    sender = threading.Thread(target=online_traffic)
    sender.start()
    try:
        time.sleep(0.2)
        submitted = submit(srv, None, data=body, params={"model": "clf"},
                           headers={"Content-Type": "application/x-ndjson"})
        assert job(srv, submitted["id"])["state"] == "validating"
        r = requests.post(srv.url(f"/v1/jobs/{submitted['id']}/cancel"), timeout=30)
        assert r.status_code == 200, r.text
        done = wait_final(srv, submitted["id"], 120)
    finally:
        stop.set()
        sender.join()
    assert done["state"] == "cancelled", done
    assert done["request_counts"]["total"] == 0, done
    r = requests.post(srv.url(f"/v1/jobs/{submitted['id']}/retry"), timeout=30)
    assert r.status_code == 400, r.text
    assert "cancelled before its input was validated" in r.text
    # The server goes on: a job submitted now runs to the end.
    again = submit(srv, {"model": "clf", "rows": rows_of([0.9, 0.1])})
    assert wait_final(srv, again["id"])["state"] == "completed"
