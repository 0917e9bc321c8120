"""What every answer carries and every request goes through: security headers, a page that
loads nothing from elsewhere, the upload limit (413, while streaming too), request ids, problem
details and 422s naming the field, pagination, the OpenAPI document, and logs without secrets.
DuckDB only: none of this depends on the warehouse."""

from __future__ import annotations

import logging
import re

import anyio
import pytest
from fastapi.testclient import TestClient
from starlette.types import Message
from tests.app.conftest import PASSWORD, Server, csrf_in

from salescore.app.security import CONTENT_SECURITY_POLICY, Redactor


@pytest.fixture(scope="module")
def backend() -> str:
    """DuckDB alone (the one backend fixture family's name, kept to one backend here)."""
    return "duckdb"


HEADERS = {
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "content-security-policy": CONTENT_SECURITY_POLICY,
}


def test_the_content_security_policy_allows_this_server_alone() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert not re.search(r"https?:|\*", CONTENT_SECURITY_POLICY)


@pytest.mark.parametrize("path", ["/api/v1/me", "/api/v1/nowhere", "/login", "/api/v1/docs",
                                  "/static/app.css", "/api/v1/openapi.json"])
def test_security_headers_on_every_kind_of_answer(server: Server, path: str) -> None:
    answer = server.client.get(path, headers=server.headers("rep"))
    for name, value in HEADERS.items():
        assert answer.headers[name] == value, (path, name)
    if path.startswith("/api/v1/m"):
        assert answer.headers["cache-control"] == "no-store"


def test_the_docs_page_loads_nothing_from_elsewhere_and_runs_no_inline_script(
        server: Server) -> None:
    page = server.client.get("/api/v1/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts and all(body.strip() == "" for _, body in scripts)
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(s.startswith("/static/") for s in sources)
    for source in sources:
        assert server.client.get(source).status_code == 200
    assert "style=" not in page
    licence = server.client.get("/static/swagger-ui/LICENSE")
    assert "Apache License" in licence.text


def test_pages_run_no_inline_script(server: Server) -> None:
    page = server.client.get("/login").text
    assert "<script" not in page and "style=" not in page and "http" not in page


def test_a_body_declared_too_large_is_refused_at_once(server: Server) -> None:
    answer = server.client.post(
        "/api/v1/imports", headers=server.headers("admin", **{
            "Content-Length": str(10 << 20), "Accept-Language": "zh-CN"}),
        content=b"x" * 10)
    assert answer.status_code == 413
    body = answer.json()
    assert body["code"] == "too_large" and "上传内容超过" in body["detail"]
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_body_streaming_past_the_limit_is_cut_off(server: Server) -> None:
    """Driven as ASGI (the test client reads a body whole before sending it): the app stops
    receiving near the tests' 64 KB limit of a 1 MB upload, and answers 413."""
    head = (b"--b\r\nContent-Disposition: form-data; name=\"table\"\r\n\r\nteams\r\n"
            b"--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.csv\"\r\n"
            b"\r\n")
    chunks = [head] + [b"y" * 1024] * 1000
    received = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal received
        received += 1
        if received <= len(chunks):
            return {"type": "http.request", "body": chunks[received - 1], "more_body": True}
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
             "method": "POST", "scheme": "http", "path": "/api/v1/imports",
             "raw_path": b"/api/v1/imports", "query_string": b"", "root_path": "",
             "server": ("testserver", 80), "client": ("127.0.0.1", 5000), "state": {},
             "headers": [(b"host", b"testserver"),
                         (b"authorization", f"Bearer {server.tokens['admin']}".encode()),
                         (b"content-type", b"multipart/form-data; boundary=b")]}
    anyio.run(server.client.app, scope, receive, send)
    assert sent[0]["status"] == 413
    assert b'"code":"too_large"' in b"".join(m.get("body", b"") for m in sent[1:])
    assert received < 100  # near 64 KB: the rest of the body was never read


def test_request_ids(server: Server) -> None:
    given = server.client.get("/api/v1/me", headers={"X-Request-ID": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    assert given.json()["request_id"] == "abc-123"
    made = server.client.get("/api/v1/me", headers={"X-Request-ID": "no spaces <here>"})
    assert re.fullmatch(r"[0-9a-f]{16}", made.headers["x-request-id"])


def test_problem_details_shape(server: Server) -> None:
    answer = server.client.get("/api/v1/reps/r6", headers=server.headers("rep"))
    body = answer.json()
    assert set(body) == {"type", "title", "status", "detail", "instance", "code",
                         "request_id"}
    assert (body["status"], body["code"], body["instance"]) == (404, "out_of_scope",
                                                                "/api/v1/reps/r6")
    assert body["type"] == "/api/v1/problems/out_of_scope" and body["title"] == "Not Found"
    denied = server.client.get("/api/v1/quality", headers=server.headers("manager")).json()
    assert (denied["status"], denied["code"]) == (403, "access_error")
    assert "whole organisation" in denied["detail"]
    period = server.client.get("/api/v1/scores", params={"period": "2025-13"},
                               headers=server.headers("rep")).json()
    assert (period["status"], period["code"]) == (422, "period_error")


@pytest.mark.parametrize(("path", "params", "field"), [
    ("/api/v1/scores", {}, "query.period"),
    ("/api/v1/reps", {"limit": 501}, "query.limit"),
    ("/api/v1/reps", {"limit": 0}, "query.limit"),
    ("/api/v1/reps", {"cursor": "garbage"}, "query.cursor"),
    ("/api/v1/kpis/values", {"kpis": "deals_won", "by": "Rep;drop"}, "query.by"),
])
def test_validation_errors_name_the_field(server: Server, path: str, params: dict[str, object],
                                          field: str) -> None:
    answer = server.client.get(path, params=params, headers=server.headers("admin"))
    assert answer.status_code == 422
    body = answer.json()
    assert body["code"] == "validation_error" and field in body["detail"]
    assert [e["field"] for e in body["errors"]] == [field]


def test_a_json_body_error_names_the_field(server: Server) -> None:
    answer = server.client.put("/api/v1/targets", headers=server.headers("admin"), json={
        "scope": "region", "scope_id": "r1", "period": "2025-Q1", "kpi": "revenue_won",
        "value": 1, "reason": "x", "extra": 1})
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"body.scope", "body.extra"}


def test_pages_of_a_list(server: Server) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        params: dict[str, object] = {"limit": 4}
        if cursor:
            params["cursor"] = cursor
        page = server.client.get("/api/v1/reps", params=params,
                                 headers=server.headers("admin")).json()
        seen += [r["rep_id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["r1", "r2", "r3", "r4", "r5", "r6"]
    teams_cursor = server.client.get("/api/v1/teams", params={"limit": 1},
                                     headers=server.headers("admin")).json()["next_cursor"]
    elsewhere = server.client.get("/api/v1/reps", params={"cursor": teams_cursor},
                                  headers=server.headers("admin"))
    assert elsewhere.status_code == 422


def test_the_openapi_document(server: Server) -> None:
    document = server.client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    assert all(p.startswith("/api/v1/") for p in paths)
    for wanted in ("/api/v1/me", "/api/v1/kpis", "/api/v1/kpis/values",
                   "/api/v1/kpis/{name}/explain", "/api/v1/scores",
                   "/api/v1/scores/{rep_id}/{period}", "/api/v1/plans",
                   "/api/v1/plans/{name}/versions", "/api/v1/plans/{name}/whatif",
                   "/api/v1/targets", "/api/v1/reps", "/api/v1/teams", "/api/v1/quality",
                   "/api/v1/imports", "/api/v1/imports/{run_id}/rejects", "/api/v1/users",
                   "/api/v1/users/{username}", "/api/v1/users/{username}/tokens",
                   "/api/v1/tokens", "/api/v1/tokens/{token_id}", "/api/v1/audit"):
        assert wanted in paths, wanted
    schemas = document["components"]["schemas"]
    for path, operations in paths.items():
        get = operations.get("get")
        if get is None or "cursor" not in {p["name"] for p in get.get("parameters", [])}:
            continue
        ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = schemas[ref.rsplit("/", 1)[-1]]
        assert {"items", "next_cursor"} <= set(page["properties"]), path
        assert "limit" in {p["name"] for p in get["parameters"]}, path


def test_logs_hold_no_secret(server: Server, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    token = server.tokens["admin"]
    server.client.get("/api/v1/me", headers=server.headers("admin"))
    server.client.get("/api/v1/nowhere", headers=server.headers("admin"))
    client = TestClient(server.client.app)
    page = client.get("/login")
    client.post("/login", data={"login": "ada", "password": PASSWORD,
                                "csrf_token": csrf_in(page.text)})
    session = client.cookies.get("salescore_session")
    text = caplog.text
    assert "GET /api/v1/me 200" in text and "rid=" in text
    for secret in (token, PASSWORD, session, token[:12]):
        assert secret and secret not in text
    record = logging.LogRecord("salescore.app", logging.INFO, __file__, 1,
                               "calling with Authorization: Bearer %s and password=%s",
                               (token, PASSWORD), None)
    Redactor().filter(record)
    assert token not in record.getMessage() and PASSWORD.split()[0] not in record.getMessage()
