"""A job's uploaded input is streamed to disk as it arrives and its results
are streamed back from their file: an upload far beyond --max-body-bytes is
taken without the server's memory growing by its size, one beyond
--max-upload-bytes is refused with 413, a client that leaves mid-upload
leaves no file behind, and a compressed upload still works (in memory)."""
from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import requests
from e2e_lib import UNDER_SANITIZER, wait_until
from routing_models import threshold_model, write_model
from test_jobs import jsonl, results, submit, wait_final


def start(tmp_path, inferd_factory, *args):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5))
    jobs = tmp_path / "jobs"
    srv = inferd_factory(repo, ["--jobs-dir", str(jobs), "--max-body-bytes", str(1 << 20), *args])
    return srv, jobs / "uploads"


def peak_rss_kib(srv) -> int:
    for line in Path(f"/proc/{srv.proc.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError("no VmHWM")


def padded_rows(n: int, pad: int) -> bytes:
    """JSONL rows made large with JSON whitespace, so a big file has few rows."""
    return b"".join(json.dumps([i / n, 0, 0, 0]).encode() + b" " * pad + b"\n" for i in range(n))


def test_a_large_upload_goes_to_disk_as_it_arrives(tmp_path, inferd_factory):
    srv, uploads = start(tmp_path, inferd_factory, "--max-upload-bytes", str(200 << 20))
    body = padded_rows(40_000, 1600)  # 64 MB, 64 times --max-body-bytes
    before = peak_rss_kib(srv)
    submitted = submit(srv, None, data=body, params={"model": "clf"},
                       headers={"Content-Type": "application/x-ndjson"})
    grown_mib = (peak_rss_kib(srv) - before) / 1024
    # ASan's quarantine holds every freed block (256 MiB by default), so the
    # peak there measures allocation churn, not what the upload kept.
    if not UNDER_SANITIZER:
        assert grown_mib < len(body) / (1 << 20) / 2, f"peak memory grew {grown_mib:.0f} MiB"
    done = wait_final(srv, submitted["id"], 300)
    assert done["request_counts"] == {"total": 40_000, "completed": 40_000, "failed": 0}, done
    # The results come back from their file, in pieces.
    with requests.get(srv.url(f"/v1/jobs/{submitted['id']}/results"), stream=True,
                      timeout=60) as r:
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/x-ndjson"
        text = b"".join(r.iter_content(1 << 16))
        assert int(r.headers["Content-Length"]) == len(text)
    lines = jsonl(text.decode())
    assert [line["row"] for line in lines] == list(range(40_000))
    assert [line["prediction"]["label"] for line in lines] == [int(i / 40_000 > 0.5)
                                                               for i in range(40_000)]
    assert list(uploads.iterdir()) == []  # the job took the file
    head = requests.head(srv.url(f"/v1/jobs/{submitted['id']}/results"), timeout=30)
    assert head.status_code == 200 and int(head.headers["Content-Length"]) == len(text)


def test_an_upload_beyond_the_limit_is_refused_and_leaves_nothing(tmp_path, inferd_factory):
    srv, uploads = start(tmp_path, inferd_factory, "--max-upload-bytes", str(2 << 20))
    body = padded_rows(2_000, 1600)  # 3.2 MB
    r = requests.post(srv.url("/v1/jobs"), params={"model": "clf"}, data=body, timeout=60,
                      headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 413 and str(2 << 20) in r.text, r.text
    # Sent in chunks, without a length: refused when it passes the limit.
    r = requests.post(srv.url("/v1/jobs"), params={"model": "clf"}, timeout=60,
                      data=(body[i:i + 65536] for i in range(0, len(body), 65536)),
                      headers={"Content-Type": "application/x-ndjson"})
    assert r.status_code == 413, r.text
    assert not uploads.exists() or list(uploads.iterdir()) == []
    # A small one still fits; so does a JSON body, under --max-body-bytes.
    ok = submit(srv, None, data=padded_rows(100, 10), params={"model": "clf"},
                headers={"Content-Type": "application/x-ndjson"})
    assert wait_final(srv, ok["id"])["state"] == "completed"
    assert requests.get(srv.url("/v2/health/ready"), timeout=30).status_code == 200


def test_a_client_that_leaves_mid_upload_leaves_no_file(tmp_path, inferd_factory):
    srv, uploads = start(tmp_path, inferd_factory, "--max-upload-bytes", str(100 << 20))
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(b"POST /v1/jobs?model=clf HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-ndjson\r\nContent-Length: 10000000\r\n\r\n")
        s.sendall(padded_rows(1_000, 1000))  # 1 MB of the 10 announced
        wait_until(lambda: uploads.exists() and any(uploads.iterdir()), 30,
                   what="the upload's file")
    wait_until(lambda: list(uploads.iterdir()) == [], 30, what="the upload's file to go")
    r = requests.get(srv.url("/v1/jobs"), timeout=30)
    assert r.status_code == 200 and r.json()["jobs"] == []


def test_a_compressed_upload_is_read_in_memory_and_works(tmp_path, inferd_factory):
    srv, _ = start(tmp_path, inferd_factory)
    body = padded_rows(500, 0)
    submitted = submit(srv, None, data=gzip.compress(body), params={"model": "clf"},
                       headers={"Content-Type": "application/x-ndjson",
                                "Content-Encoding": "gzip"})
    done = wait_final(srv, submitted["id"])
    assert done["request_counts"]["completed"] == 500, done
    assert len(jsonl(results(srv, submitted["id"]).text)) == 500


def test_a_refused_upload_leaves_no_file(tmp_path, inferd_factory):
    srv, uploads = start(tmp_path, inferd_factory, "--max-upload-bytes", str(8 << 20))
    body = padded_rows(2000, 1000)  # 2 MB: past --max-body-bytes, so spooled to disk
    # Refused by the job service, and by the frontend before it (X-Model).
    cases = (({"model": "nope"}, None), ({"model": "clf", "version": "7"}, None), ({}, "nope"))
    for params, model_header in cases:
        headers = {"Content-Type": "application/x-ndjson"}
        if model_header:
            headers["X-Model"] = model_header
        r = requests.post(srv.url("/v1/jobs"), params=params, data=body, headers=headers,
                          timeout=60)
        assert r.status_code == 404, (params, r.text)
        assert list(uploads.iterdir()) == [], params
    assert requests.get(srv.url("/v1/jobs"), timeout=10).json()["jobs"] == []


def test_uploads_cannot_fill_the_disk(tmp_path, inferd_factory):
    # One upload at a time: a second while the first streams is 503.
    srv, uploads = start(tmp_path, inferd_factory, "--max-upload-bytes", str(100 << 20),
                         "--max-concurrent-uploads", "1")
    headers = {"Content-Type": "application/x-ndjson"}
    rows = padded_rows(2000, 1000)  # 2 MB: past --max-body-bytes, so spooled
    with socket.create_connection(("127.0.0.1", srv.port), timeout=30) as s:
        s.sendall(b"POST /v1/jobs?model=clf HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/x-ndjson\r\n"
                  + f"Content-Length: {len(rows)}\r\n\r\n".encode())
        s.sendall(rows[:1 << 20])
        wait_until(lambda: uploads.exists() and any(uploads.iterdir()), 30,
                   what="the first upload's file")
        second = requests.post(srv.url("/v1/jobs"), params={"model": "clf"}, data=rows,
                               headers=headers, timeout=60)
        assert second.status_code == 503 and "uploads in progress" in second.text, second.text
        s.sendall(rows[1 << 20:])
        answer = s.recv(65536)
        assert answer.startswith(b"HTTP/1.1 202"), answer[:200]
    # Its turn done, the next one is taken.
    assert requests.post(srv.url("/v1/jobs"), params={"model": "clf"}, data=rows,
                         headers=headers, timeout=60).status_code == 202
    srv.stop()

    # A disk that would keep less than --upload-min-free-bytes free: 507.
    srv, uploads = start(tmp_path / "full", inferd_factory, "--upload-min-free-bytes",
                         str(1 << 62))
    r = requests.post(srv.url("/v1/jobs"), params={"model": "clf"}, data=rows,
                      headers=headers, timeout=60)
    assert r.status_code == 507 and "not enough disk" in r.text, r.text
    assert not uploads.exists() or list(uploads.iterdir()) == []
    assert requests.get(srv.url("/v2/health/ready"), timeout=30).status_code == 200


def test_the_access_log_counts_a_results_file_it_streams(tmp_path, inferd_factory):
    log = tmp_path / "access.log"
    srv, _ = start(tmp_path, inferd_factory, "--access-log", str(log))
    submitted = submit(srv, None, data=padded_rows(300, 0), params={"model": "clf"},
                       headers={"Content-Type": "application/x-ndjson"})
    wait_final(srv, submitted["id"])
    r = requests.get(srv.url(f"/v1/jobs/{submitted['id']}/results"),
                     headers={"X-Request-Id": "results-download"}, timeout=60)
    assert r.status_code == 200

    def entry():
        for line in log.read_text().splitlines():
            e = json.loads(line)
            if e.get("request_id") == "results-download":
                return e
        return None

    wait_until(lambda: entry() is not None, 10, what="the download's access line")
    assert entry()["bytes_out"] == len(r.content) > 0
