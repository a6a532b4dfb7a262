"""The HTTP/1.x framing inferd writes, checked on the raw socket: keep-alive
for HTTP/1.0 and 1.1, Connection: close, HEAD, pipelining, and the fields
every answer carries. inferd writes response heads itself (not through a
library), so these pin the wire format down."""

import json
import socket

from e2e_lib import mem  # noqa: F401  (keeps the example models importable)


def connect(server):
    host, port = server.host_port.split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    return sock, sock.makefile("rb")


def read_response(reader):
    status_line = reader.readline().decode("latin-1")
    assert status_line, "the connection closed instead of answering"
    version, code, reason = status_line.rstrip("\r\n").split(" ", 2)
    fields = {}
    while True:
        line = reader.readline().decode("latin-1").rstrip("\r\n")
        if not line:
            break
        name, _, value = line.partition(":")
        assert name.lower() not in fields, f"field {name} written twice"
        fields[name.lower()] = value.strip()
    return version, int(code), reason, fields


def read_body(reader, fields):
    return reader.read(int(fields["content-length"]))


def infer_request(version="1.1", extra=""):
    body = json.dumps({"inputs": [{"name": "float_input", "datatype": "FP32", "shape": [1, 30],
                                   "data": [0.5] * 30}]}).encode()
    head = (f"POST /v2/models/logreg/infer HTTP/{version}\r\nHost: x\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n")
    return head.encode() + body


def test_http11_keeps_the_connection_and_frames_each_answer(server):
    sock, reader = connect(server)
    for _ in range(3):
        sock.sendall(infer_request())
        version, code, reason, fields = read_response(reader)
        assert (version, code, reason) == ("HTTP/1.1", 200, "OK")
        assert fields["server"] == "inferd"
        assert fields["content-type"] == "application/json"
        assert "connection" not in fields
        body = json.loads(read_body(reader, fields))
        assert body["model_name"] == "logreg"
    sock.close()


def test_pipelined_requests_are_answered_in_order(server):
    sock, reader = connect(server)
    sock.sendall(infer_request() + b"GET /v2/models/logreg HTTP/1.1\r\nHost: x\r\n\r\n" +
                 b"GET /v2/models/no_such_model HTTP/1.1\r\nHost: x\r\n\r\n")
    _, code, _, fields = read_response(reader)
    assert code == 200 and "outputs" in json.loads(read_body(reader, fields))
    _, code, _, fields = read_response(reader)
    assert code == 200 and json.loads(read_body(reader, fields))["name"] == "logreg"
    _, code, reason, fields = read_response(reader)
    assert (code, reason) == (404, "Not Found")
    assert "error" in json.loads(read_body(reader, fields))
    sock.close()


def answered_then_closed(server, request):
    sock, reader = connect(server)
    sock.sendall(request)
    _, code, _, fields = read_response(reader)
    read_body(reader, fields)
    closed = reader.read(1) == b""  # the server closed its side
    sock.close()
    return code == 200 and fields.get("connection") == "close" and closed


def test_connection_close_is_honoured(server):
    assert answered_then_closed(server, infer_request(extra="Connection: close\r\n"))


def test_http10_closes_unless_asked_to_keep_alive(server):
    assert answered_then_closed(server, infer_request(version="1.0"))

    sock, reader = connect(server)
    for _ in range(2):
        sock.sendall(infer_request(version="1.0", extra="Connection: keep-alive\r\n"))
        _, code, _, fields = read_response(reader)
        assert code == 200 and fields["connection"].lower() == "keep-alive"
        assert json.loads(read_body(reader, fields))["model_name"] == "logreg"
    sock.close()


def test_head_gets_the_length_of_get_without_a_body(server):
    sock, reader = connect(server)
    sock.sendall(b"GET /v2/models/logreg HTTP/1.1\r\nHost: x\r\n\r\n")
    _, code, _, get_fields = read_response(reader)
    get_body = read_body(reader, get_fields)
    assert code == 200 and len(get_body) > 0
    sock.sendall(b"HEAD /v2/models/logreg HTTP/1.1\r\nHost: x\r\n\r\n"
                 b"GET /v2/health/live HTTP/1.1\r\nHost: x\r\n\r\n")
    _, code, _, head_fields = read_response(reader)
    assert code == 200
    assert head_fields["content-length"] == str(len(get_body))
    # No body follows the HEAD answer: the next bytes are the next answer.
    _, code, _, live_fields = read_response(reader)
    assert code == 200 and live_fields["content-length"] == str(len(b'{"live":true}'))
    sock.close()


def test_error_answers_on_the_wire_keep_the_connection(server):
    sock, reader = connect(server)
    bad = b"{not json"
    sock.sendall(b"POST /v2/models/logreg/infer HTTP/1.1\r\nHost: x\r\n"
                 b"Content-Type: application/json\r\nContent-Length: " +
                 str(len(bad)).encode() + b"\r\n\r\n" + bad)
    _, code, reason, fields = read_response(reader)
    assert (code, reason) == (400, "Bad Request")
    assert fields["content-type"] == "application/json"
    assert "error" in json.loads(read_body(reader, fields))
    sock.sendall(infer_request())
    _, code, _, fields = read_response(reader)
    assert code == 200
    read_body(reader, fields)
    sock.close()
