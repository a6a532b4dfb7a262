"""GET /openapi.json is a valid OpenAPI 3 document whose every path is served,
and /docs renders it with Swagger UI from assets the build installed."""
import re

import pytest
import requests
from openapi_spec_validator import validate

PATH_PARAMS = {"model": "logreg", "version": "1", "file": "swagger-ui.css", "label": "stable"}


@pytest.fixture(scope="module")
def document(base_url):
    r = requests.get(base_url + "/openapi.json", timeout=10)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    return r.json()


def test_document_is_valid_openapi(document):
    validate(document)  # raises on any schema violation
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "inferd"


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PATH_PARAMS.get(m.group(1), m.group(1)), path)


def test_every_documented_operation_is_routed(base_url, document):
    """A documented path that the server does not route answers 404 "no route"
    or 405; every documented operation must reach a handler instead."""
    unrouted = []
    for path, operations in document["paths"].items():
        for method in operations:
            if method not in ("get", "post", "put", "delete"):
                continue
            url = base_url + concrete(path)
            r = requests.request(method.upper(), url, data=b"{}" if method != "get" else None,
                                 timeout=30)  # fmt: skip
            routed = r.status_code != 405 and "no route for" not in r.text
            if not routed:
                unrouted.append(f"{method.upper()} {path} -> {r.status_code} {r.text[:80]}")
    assert not unrouted, "\n".join(unrouted)


def test_docs_page_and_assets(base_url):
    page = requests.get(base_url + "/docs", timeout=10)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "swagger-ui-bundle.js" in page.text and "/openapi.json" in page.text
    js = requests.get(base_url + "/docs/swagger-ui-bundle.js", timeout=10)
    assert js.status_code == 200
    assert js.headers["Content-Type"] == "application/javascript"
    assert len(js.content) > 100_000 and b"SwaggerUIBundle" in js.content
    css = requests.get(base_url + "/docs/swagger-ui.css", timeout=10)
    assert css.status_code == 200 and css.headers["Content-Type"] == "text/css"


@pytest.mark.parametrize("name", ["index.html", "..%2F..%2Fetc%2Fpasswd", "swagger-ui-bundle.js.map"])
def test_only_known_assets_are_served(base_url, name):
    r = requests.get(base_url + "/docs/" + name, timeout=10)
    assert r.status_code == 404
    assert r.json()["error"]
