"""Who sees which batch jobs, with API keys on: a caller sees and acts on the
jobs it submitted; an admin sees every job; a key limited to some models
sees only jobs on those models (and may use the job routes at all); another
caller's job is "not found" on every route, the seeds' shape included."""
from __future__ import annotations

import requests
from e2e_lib import wait_until
from routing_models import threshold_model, write_model
from test_jobs import rows_of
from test_security import create_key


def test_callers_see_their_own_jobs_and_admins_see_all(tmp_path, inferd_factory):
    repo = tmp_path / "repo"
    write_model(repo, "clf", threshold_model(0.5))
    write_model(repo, "other", threshold_model(0.2))
    db = tmp_path / "keys.db"
    keys = {
        "admin": create_key(db, "ops", ["admin", "read", "infer"]),
        "alice": create_key(db, "alice", ["read", "infer"]),
        "bob": create_key(db, "bob", ["read", "infer"]),
        "clf_only": create_key(db, "clf-team", ["read", "infer"], ["clf"]),
        "clf_admin": create_key(db, "clf-ops", ["admin", "read", "infer"], ["clf"]),
    }
    srv = inferd_factory(repo, ["--api-keys", "--keys-db", str(db)])

    def call(who, method, path, **kwargs):
        return requests.request(method, srv.url(path), timeout=30,
                                headers={"Authorization": f"Bearer {keys[who]}"}, **kwargs)

    def submit(who, model):
        r = call(who, "POST", "/v1/jobs", json={"model": model, "rows": rows_of([0.1, 0.9])})
        assert r.status_code == 202, r.text
        return r.json()["id"]

    def listed(who):
        r = call(who, "GET", "/v1/jobs")
        assert r.status_code == 200, r.text
        return {j["id"] for j in r.json()["jobs"]}

    alice_clf = submit("alice", "clf")
    alice_other = submit("alice", "other")
    bob_clf = submit("bob", "clf")
    team_clf = submit("clf_only", "clf")
    # A model outside the key's list does not exist for it.
    r = call("clf_only", "POST", "/v1/jobs", json={"model": "other", "rows": rows_of([0.5])})
    assert r.status_code == 404 and "not found" in r.text, r.text
    for job in (alice_clf, alice_other, bob_clf, team_clf):
        wait_until(lambda job=job: call("admin", "GET", f"/v1/jobs/{job}").json()["state"]
                   == "completed", 60, what=f"{job} to complete")

    assert listed("alice") == {alice_clf, alice_other}
    assert listed("bob") == {bob_clf}
    assert listed("clf_only") == {team_clf}
    assert listed("admin") == {alice_clf, alice_other, bob_clf, team_clf}
    assert listed("clf_admin") == {alice_clf, bob_clf, team_clf}  # every job on clf

    # Bob cannot reach Alice's job by its id, on any route.
    for method, path in [("GET", f"/v1/jobs/{alice_clf}"),
                         ("GET", f"/v1/jobs/{alice_clf}/results"),
                         ("POST", f"/v1/jobs/{alice_clf}/cancel"),
                         ("POST", f"/v1/jobs/{alice_clf}/retry"),
                         ("DELETE", f"/v1/jobs/{alice_clf}"),
                         ("GET", f"/predict/batch/{alice_clf}")]:
        r = call("bob", method, path)
        assert r.status_code == 404 and f"job '{alice_clf}' not found" in r.text, (path, r.text)
    assert call("clf_admin", "GET", f"/v1/jobs/{alice_other}").status_code == 404
    # Their owners, and admins, can.
    assert call("alice", "GET", f"/v1/jobs/{alice_clf}/results").status_code == 200
    assert call("clf_admin", "GET", f"/v1/jobs/{bob_clf}/results").status_code == 200
    assert call("admin", "DELETE", f"/v1/jobs/{alice_other}").status_code == 200
    assert listed("alice") == {alice_clf}
    # A read-only key may look at its (no) jobs but not submit.
    reader = create_key(db, "dash", ["read"])
    keys["reader"] = reader
    assert listed("reader") == set()
    assert call("reader", "POST", "/v1/jobs",
                json={"model": "clf", "rows": rows_of([0.5])}).status_code == 403
