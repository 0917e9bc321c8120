"""The pages' static files, served from memory after their first request: the same bytes and
headers as from disk, 304 to a matching If-None-Match, and no disk read after the first."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from salescore.app.static_files import KeptStaticFiles


@pytest.fixture
def client(tmp_path: Path) -> TestClient:
    (tmp_path / "app.css").write_text("body { color: #123; }\n", encoding="utf-8")
    (tmp_path / "big.js").write_bytes(b"x" * 300_000)
    app = FastAPI()
    app.mount("/static", KeptStaticFiles(directory=str(tmp_path)), name="static")
    return TestClient(app)


def test_kept_files_are_the_files_and_are_read_once(client: TestClient, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    first = client.get("/static/big.js")
    assert first.status_code == 200 and first.content == b"x" * 300_000
    assert first.headers["content-length"] == "300000"
    assert first.headers["content-type"].startswith(("application/javascript", "text/javascript"))
    # the file changes on disk (it never does under a server): what was kept is given
    (tmp_path / "big.js").write_bytes(b"y")
    again = client.get("/static/big.js")
    assert again.content == first.content and again.headers["etag"] == first.headers["etag"]
    assert client.get("/static/app.css").text == "body { color: #123; }\n"


def test_a_matching_etag_is_not_modified_and_the_rest_goes_through(client: TestClient
                                                                    ) -> None:
    etag = client.get("/static/app.css").headers["etag"]
    cached = client.get("/static/app.css", headers={"If-None-Match": f'"other", {etag}'})
    assert cached.status_code == 304 and cached.content == b""
    assert client.get("/static/app.css", headers={"If-None-Match": '"other"'}).status_code \
        == 200
    part = client.get("/static/big.js", headers={"Range": "bytes=0-9"})
    assert part.status_code == 206 and part.content == b"x" * 10
    assert client.get("/static/missing.js").status_code == 404
    assert client.head("/static/app.css").status_code == 200
