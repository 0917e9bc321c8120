"""Imports through the API, on DuckDB and PostgreSQL: the list of import runs (newest first,
paginated, admins alone: the matrix in ``test_access.py`` has every role's status), and the
name an upload is shown by (the user's file name, base name only) while the file on disk
keeps its generated name."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.app.conftest import Server

from salescore.app import AppSettings, create_app
from salescore.workspace import Workspace

TEAMS = "team_id,name,parent_team_id,region\nT1,Team one,REG,North\n,No id,REG,North\n"
GENERATED = re.compile(r"[0-9a-f]{32}")


def _import(server: Server, filename: str, text: str = TEAMS, table: str = "teams"
            ) -> Any:
    answer = server.client.post("/api/v1/imports", data={"table": table},
                                files={"file": (filename, text, "text/csv")},
                                headers=server.headers("admin"))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _runs(server: Server, **params: Any) -> Any:
    answer = server.client.get("/api/v1/imports", params=params,
                               headers=server.headers("admin"))
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_import_runs_newest_first_with_counts_who_when_and_rejects(server: Server) -> None:
    first = _import(server, "teams.csv")
    second = _import(server, "clean.csv", "team_id,name,parent_team_id,region\n"
                                          "T1,Team one,REG,North\n")
    listed = _runs(server)
    newest = listed["items"][:2]
    assert [r["id"] for r in newest] == [second["id"], first["id"]]
    assert newest[0] == newest[0] | {
        "table": "teams", "source": "clean.csv", "mapping": None, "status": "loaded",
        "actor": "ada", "read_rows": 1, "inserted": 0, "updated": 0, "unchanged": 1,
        "rejected": 0, "rejects_url": None}
    assert newest[1] == newest[1] | {
        "table": "teams", "source": "teams.csv", "status": "loaded", "actor": "ada",
        "read_rows": 2, "unchanged": 1, "rejected": 1,
        "rejects_url": f"/api/v1/imports/{first['id']}/rejects"}
    assert newest[1]["rejects_url"] == first["rejects_url"]
    assert newest[0]["started_at"] >= newest[1]["finished_at"] >= newest[1]["started_at"]
    assert newest[0]["started_at"].endswith(("Z", "+00:00"))
    ids = [r["id"] for r in listed["items"]]
    assert ids == sorted(ids, reverse=True) and listed["next_cursor"] is None


def test_the_import_runs_a_page_at_a_time_and_filtered(server: Server) -> None:
    for n in range(3):
        _import(server, f"page{n}.csv")
    everything = [r["id"] for r in _runs(server, limit=500)["items"]]
    pages: list[int] = []
    cursor = None
    while True:
        page = _runs(server, limit=2, **({"cursor": cursor} if cursor else {}))
        assert len(page["items"]) <= 2
        pages += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == everything and len(everything) >= 3
    assert _runs(server, table="reps")["items"] == []  # this module imports teams alone
    assert {r["table"] for r in _runs(server, table="teams")["items"]} == {"teams"}
    loaded = _runs(server, status="loaded", limit=500)["items"]
    assert {r["status"] for r in loaded} == {"loaded"} and len(loaded) >= 3
    bad = server.client.get("/api/v1/imports", params={"cursor": "nonsense"},
                            headers=server.headers("admin"))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.cursor"


def test_a_failed_import_is_listed_with_why(server: Server) -> None:
    refused = server.client.post("/api/v1/imports", data={"table": "teams"},
                                 files={"file": ("empty.csv", "", "text/csv")},
                                 headers=server.headers("admin"))
    assert refused.status_code == 422 and refused.json()["code"] == "ingest_error"
    run = _runs(server, status="failed", limit=1)["items"][0]
    assert (run["source"], run["status"], run["rejects_url"]) == ("empty.csv", "failed", None)
    assert run["message"] == "empty.csv is empty"


@pytest.mark.parametrize("uploaded", ["deals 2025.csv", "C:\\Users\\ada\\deals 2025.csv",
                                      "../../etc/deals 2025.csv"])
def test_the_rejects_and_messages_name_the_uploaded_file(server: Server, uploaded: str
                                                         ) -> None:
    done = _import(server, uploaded)
    assert done["source"] == "deals 2025.csv"
    rejects = server.client.get(done["rejects_url"], headers=server.headers("admin"))
    rows = list(csv.DictReader(io.StringIO(rejects.text.lstrip("\ufeff"))))
    assert [(r["_file"], r["_row"], r["name"]) for r in rows] == [("deals 2025.csv", "3",
                                                                    "No id")]
    assert rows[0]["_problems"] == 'team_id = "": required value missing'
    assert not GENERATED.search(rejects.text)
    empty = server.client.post("/api/v1/imports", data={"table": "teams"},
                               files={"file": (uploaded, "", "text/csv")},
                               headers=server.headers("admin"))
    assert empty.status_code == 422
    assert empty.json()["detail"] == "deals 2025.csv is empty"
    missing = server.client.post("/api/v1/imports", data={"table": "teams"},
                                 files={"file": (uploaded, "name\nx\n", "text/csv")},
                                 headers=server.headers("admin"))
    assert missing.status_code == 422
    assert missing.json()["detail"].startswith("deals 2025.csv has no column for required")
    assert not GENERATED.search(missing.text)


def test_a_kept_upload_keeps_its_generated_name(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SALESCORE_WAREHOUSE_URL", raising=False)
    monkeypatch.delenv("SALESCORE_APP_DB_URL", raising=False)
    home = tmp_path / "home"
    with Workspace.init(home) as ws:
        cli = ws.accounts.owner()
        ws.accounts.add_user(cli, username="ada", password="correct horse battery",
                             role="admin")
        token = ws.accounts.issue_token(cli, "ada", "tests")[1]
    app = create_app(home, settings=AppSettings(uploads_kept=True))
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.post("/api/v1/imports", data={"table": "teams"},
                             headers={"Authorization": f"Bearer {token}"},
                             files={"file": ("../our teams.csv",
                                             "team_id,name,parent_team_id,region\n"
                                             "T1,Team one,,North\n,No id,,North\n",
                                             "text/csv")})
        assert answer.status_code == 201, answer.text
        assert answer.json()["source"] == "our teams.csv"
        rejects = client.get(answer.json()["rejects_url"],
                             headers={"Authorization": f"Bearer {token}"}).text
    kept = [p.name for p in (home / "uploads").iterdir()]
    assert len(kept) == 1 and re.fullmatch(r"[0-9a-f]{32}\.csv", kept[0])
    assert "our teams.csv" in rejects and kept[0] not in rejects
    assert not (tmp_path / "our teams.csv").exists()
