"""JWT keys from an issuer's URL (--jwt-jwks-url): a real HTTP(S) server here
publishes the JWKS; tokens signed with its keys (PyJWT) are accepted, a key the
issuer adds is fetched the moment a token names it, made-up key ids cannot make
inferd hammer the issuer, an https issuer's certificate is checked, and an issuer
that is down at start is fetched from once it is up (refused until then)."""
from __future__ import annotations

import json
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from e2e_lib import INFERD_BIN, UNDER_SANITIZER, copy_models, free_port, wait_until
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from tls_pki import Pki

ISSUER = "https://issuer.example"
AUDIENCE = "inferd-jwks-tests"
MODEL = "logreg"


class Issuer:
    """Serves a JWKS document (replaceable) and counts the fetches."""

    def __init__(self, tls: ssl.SSLContext | None = None, port: int = 0):
        self.doc: dict = {"keys": []}
        self.fetches = 0
        self.key: SigningKey | None = None  # the one it publishes, when a test keeps it here
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                issuer.fetches += 1
                body = json.dumps(issuer.doc).encode()
                self.send_response(200 if self.path == "/.well-known/jwks.json" else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.url = (f"{'https' if tls else 'http'}://127.0.0.1:{self.server.server_port}"
                    "/.well-known/jwks.json")
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def publish(self, *keys: SigningKey):
        self.doc = {"keys": [k.jwk for k in keys]}

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SigningKey:
    def __init__(self, kid: str, alg: str = "RS256"):
        self.kid, self.alg = kid, alg
        if alg == "RS256":
            self.private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.jwk = RSAAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.jwk = ECAlgorithm.to_jwk(self.private.public_key(), as_dict=True)
        self.jwk.update({"kid": kid, "alg": alg, "use": "sig"})

    def token(self, kid: str | None = None) -> str:
        now = int(time.time())
        claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "svc", "iat": now, "exp": now + 600,
                  "roles": ["read"]}
        return jwt.encode(claims, self.private, algorithm=self.alg,
                          headers={"kid": kid or self.kid})


def jwt_args(url: str, *extra: str) -> list[str]:
    return ["--jwt-issuer", ISSUER, "--jwt-audience", AUDIENCE, "--jwt-jwks-url", url, *extra]


def status_with(srv, token: str) -> int:
    return requests.get(srv.url(f"/v2/models/{MODEL}"),
                        headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code


@pytest.fixture
def repo(example_repo, tmp_path):
    return copy_models(example_repo, tmp_path / "repo", [MODEL])


def test_keys_at_a_url_and_a_rotated_key_fetched_when_a_token_names_it(repo, inferd_factory):
    first, second = SigningKey("key-1"), SigningKey("key-2", "ES256")
    issuer = Issuer()
    try:
        issuer.publish(first)
        srv = inferd_factory(repo, jwt_args(issuer.url))
        assert issuer.fetches == 1
        assert status_with(srv, first.token()) == 200
        # The issuer rotates; once past the refetch bound (10 s since the start's
        # fetch), a token naming the new key works on its first request.
        issuer.publish(first, second)
        time.sleep(10.5)
        if status_with(srv, second.token()) != 200:
            # The request waits for the fetch at most 1 s; the sanitizer build on a
            # loaded CI machine has run past that once (CI, 2026-12-03). There only,
            # the fetch it started must still land, and later requests pass without
            # another.
            assert UNDER_SANITIZER, "the first request naming the rotated key was refused"
            wait_until(lambda: status_with(srv, second.token()) == 200, timeout_s=10,
                       what="the rotated key, once its fetch landed")
        assert issuer.fetches == 2
        # Made-up key ids: refused, and no fetch for any of them (within the bound).
        for i in range(20):
            assert status_with(srv, first.token(kid=f"made-up-{i}")) == 401
        assert issuer.fetches == 2
        assert status_with(srv, first.token()) == 200
    finally:
        issuer.close()


def tls_issuer(pki: Pki, stem: str) -> Issuer:
    """An issuer over TLS with the certificate `stem`, publishing one key ("k")."""
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(pki.path(stem, "crt"), pki.path(stem, "key"))
    issuer = Issuer(tls)
    issuer.key = SigningKey("k")
    issuer.publish(issuer.key)
    return issuer


def test_an_https_issuer_is_checked_against_the_given_ca(repo, inferd_factory, tmp_path):
    pki = Pki(tmp_path / "pki")
    issuer = tls_issuer(pki, "server")
    key = issuer.key
    try:
        trusted = inferd_factory(repo, jwt_args(issuer.url, "--jwt-jwks-ca", pki.ca_file))
        assert status_with(trusted, key.token()) == 200
        # Another CA: the issuer is not believed, no key is taken, tokens are refused.
        rogue = inferd_factory(repo, jwt_args(issuer.url, "--jwt-jwks-ca", pki.rogue_ca_file))
        assert status_with(rogue, key.token()) == 401
        assert "no JWT keys yet" in rogue.stderr() and "certificate" in rogue.stderr()
    finally:
        issuer.close()


def test_an_https_issuer_must_hold_a_certificate_for_its_name(repo, inferd_factory, tmp_path):
    pki = Pki(tmp_path / "pki")
    # Signed by the trusted CA, but for another name than the URL's 127.0.0.1.
    pki.ca.issue(tmp_path / "pki" / "elsewhere", "elsewhere", server=True,
                 names=("other.example",))
    issuer = tls_issuer(pki, "elsewhere")
    key = issuer.key
    try:
        srv = inferd_factory(repo, jwt_args(issuer.url, "--jwt-jwks-ca", pki.ca_file))
        assert status_with(srv, key.token()) == 401
        assert "no JWT keys yet" in srv.stderr() and "certificate" in srv.stderr()
    finally:
        issuer.close()


def test_a_plain_http_issuer_elsewhere_than_this_machine_is_warned_about(repo, inferd_factory):
    srv = inferd_factory(repo, jwt_args("http://192.0.2.1:9/.well-known/jwks.json",
                                        "--jwt-jwks-refresh-secs", "600"),
                         wait_for="live")
    assert "plain http" in srv.stderr()


def test_an_issuer_down_at_start_is_fetched_from_once_up(repo, inferd_factory):
    port = free_port()
    key = SigningKey("k")
    srv = inferd_factory(repo, jwt_args(f"http://127.0.0.1:{port}/.well-known/jwks.json"))
    assert "no JWT keys yet" in srv.stderr()
    assert status_with(srv, key.token()) == 401  # fails closed
    issuer = Issuer(port=port)
    try:
        issuer.publish(key)
        # Retried every 10 s until a fetch succeeds.
        wait_until(lambda: status_with(srv, key.token()) == 200, 40, interval_s=1,
                   what="keys fetched after the issuer came up")
    finally:
        issuer.close()


def test_a_jwks_url_that_cannot_be_fetched_from_is_refused_at_start(repo, tmp_path):
    out = subprocess.run([str(INFERD_BIN), "serve", "--model-repository", str(repo),
                          *jwt_args("ftp://issuer.example/jwks")],
                         check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "--jwt-jwks-url" in out.stderr and "https:// or http://" in out.stderr, out.stderr
