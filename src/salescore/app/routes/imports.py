"""Imports: upload a file (with a mapping file or a preset) into a canonical table, list the
import runs, and fetch the rows one rejected.

An upload is written to ``<home>/uploads`` under a generated name, imported, and removed
afterwards unless the settings keep uploads. The name the user's file had (its last part) is
never used as a path: the run records it, and the rejects' ``file`` column and the messages show
it. The rejected rows go to ``<home>/rejects``; the answer links to them.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path as FilePath
from typing import Annotated, Literal

from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import FileResponse

from salescore.app.deps import LocaleDep, PrincipalDep, SessionDep, StateDep
from salescore.app.pagination import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from salescore.app.problems import PROBLEM_RESPONSES, NotFound
from salescore.app.schemas import ImportOut, ImportRunOut, Page, RejectReasonOut
from salescore.app.training import train_later
from salescore.core.text import Text
from salescore.workspace import ImportOptions, IngestError

router = APIRouter(prefix="/imports", tags=["imports"], responses=PROBLEM_RESPONSES)

_SUFFIXES = frozenset({".csv", ".tsv", ".txt", ".xlsx", ".xls", ".parquet", ".json",
                       ".ndjson", ".jsonl"})


def store_upload(upload: UploadFile, folder: FilePath, default_suffix: str = "") -> FilePath:
    """Write ``upload`` under a generated name in ``folder`` (only its suffix is kept, and only
    a known one, so that the reader can tell the format)."""
    suffix = FilePath(upload.filename or "").suffix.lower()
    if suffix not in _SUFFIXES | {".yaml", ".yml"}:
        suffix = default_suffix
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{uuid.uuid4().hex}{suffix}"
    with target.open("wb") as out:
        shutil.copyfileobj(upload.file, out, length=1 << 20)
    return target


def rejects_link(run_id: int) -> str:
    return f"/api/v1/imports/{run_id}/rejects"


def upload_name(name: str | None) -> str:
    """An uploaded file's name as the import shows it: its last part, printable."""
    base = (name or "upload").replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in base if ch.isprintable())[:200] or "upload"


@router.post("", response_model=ImportOut, status_code=201,
             summary="Import an uploaded file into a canonical table")
def import_upload(
    session: SessionDep, principal: PrincipalDep, state: StateDep, locale: LocaleDep,
    table: Annotated[str, Form(max_length=40, description="The canonical table")],
    file: Annotated[UploadFile, File(description="csv, tsv, xlsx, xls, parquet, json, ndjson")],
    mapping: Annotated[UploadFile | None, File(description="A mapping file (YAML)")] = None,
    preset: Annotated[str | None, Form(max_length=100,
                                       description="A shipped mapping preset")] = None,
    format: Annotated[Literal["csv", "excel", "parquet", "json", "ndjson"] | None,
                      Form()] = None,
    sheet: Annotated[str | None, Form(max_length=100)] = None,
    encoding: Annotated[str | None, Form(max_length=40)] = None,
    delimiter: Annotated[str | None, Form(max_length=4)] = None,
    date_order: Annotated[Literal["ymd", "dmy", "mdy"] | None, Form()] = None,
    timezone: Annotated[str | None, Form(max_length=64)] = None,
    strict: Annotated[bool, Form()] = False,
    strict_refs: Annotated[bool, Form()] = False,
    add_stages: Annotated[bool, Form()] = False,
) -> ImportOut:
    options = ImportOptions(format=format, sheet=sheet, encoding=encoding, delimiter=delimiter,
                            date_order=date_order, timezone=timezone, strict=strict,
                            strict_refs=strict_refs, add_stages=add_stages)
    # Refused before anything is written: a scope that may not import gets 403 here.
    session.scope.require_writes("importing", "导入")
    if mapping is not None and preset:
        raise IngestError("give a mapping file or a preset, not both",
                          message_zh="请只指定映射文件或预设之一")
    name = upload_name(file.filename)
    stored = store_upload(file, state.uploads)
    mapping_path = store_upload(mapping, state.uploads, ".yaml") if mapping is not None else None
    rejects = state.workspace.locations.home / "rejects" / f"{table}-{uuid.uuid4().hex}.csv"
    try:
        done = session.import_recorded(table, stored, mapping=mapping_path, preset=preset,
                                       options=options, rejects=rejects,
                                       actor=principal.username, source=name, train=False)
    finally:
        if not state.settings.uploads_kept:
            stored.unlink(missing_ok=True)
            if mapping_path is not None:
                mapping_path.unlink(missing_ok=True)
    r = done.result
    if r.loaded:  # the models are trained again in the background (app/training.py)
        train_later(state, principal.username)
    zh = locale == "zh_CN"
    return ImportOut(
        id=done.run_id, table=r.table, source=name, status=r.status,
        read_rows=r.read_rows, inserted=r.inserted, updated=r.updated, unchanged=r.unchanged,
        rejected=r.rejected, collapsed=r.collapsed, unknown_stages=dict(r.unknown_stages),
        added_stages=list(r.added_stages), notes=[n.get(locale) for n in r.notes],
        reasons=[RejectReasonOut(column=g["column"], field=g["field"],
                                 reason=g["reason_zh"] if zh else g["reason"],
                                 count=g["count"], rows=g["rows"]) for g in r.reasons()],
        rejects_url=rejects_link(done.run_id) if r.rejects_file else None,
        unconverted={code or "": n for code, n in r.unconverted},
        warnings=[r.unconverted_warning.get(locale)] if r.unconverted_warning else [])


@router.get("", response_model=Page[ImportRunOut], summary="The import runs, newest first")
def import_runs(session: SessionDep,
                table: Annotated[str | None, Query(max_length=40,
                                                   description="Only this canonical table")]
                = None,
                status: Annotated[Literal["loaded", "aborted", "failed"] | None, Query()] = None,
                limit: LimitQuery = 100, cursor: CursorQuery = None) -> Page[ImportRunOut]:
    before = decode_cursor(cursor, "imports") if cursor else None
    if before is not None and not isinstance(before, int):
        decode_cursor("", "imports")  # a 422 like any bad cursor
    # One more than asked for tells whether there is a next page.
    runs = session.import_runs(limit=limit + 1,
                               before_id=before if isinstance(before, int) else None,
                               table=table, status=status)
    page = runs[:limit]
    return Page[ImportRunOut](
        items=[ImportRunOut(
            id=run.id, table=run.table, source=run.source, mapping=run.mapping,
            status=run.status,
            actor=run.actor, started_at=run.started_at, finished_at=run.finished_at,
            read_rows=run.read_rows, inserted=run.inserted, updated=run.updated,
            unchanged=run.unchanged, rejected=run.rejected, message=run.message,
            rejects_url=rejects_link(run.id) if run.rejects_file is not None
            and run.rejects_file.is_file() else None) for run in page],
        next_cursor=encode_cursor("imports", page[-1].id) if len(runs) > limit else None)


@router.get("/{run_id}/rejects", response_class=FileResponse,
            responses={200: {"content": {"text/csv": {}},
                             "description": "The rejected rows, as CSV"}},
            summary="The rows an import rejected (CSV)")
def rejects(session: SessionDep, run_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
            ) -> FileResponse:
    run = session.import_run(run_id)
    path = run.rejects_file if run is not None else None
    if path is None or not path.is_file():
        raise NotFound(Text(f"import {run_id} has no rejected rows to fetch",
                            f"导入 {run_id} 没有可下载的被拒行"))
    return FileResponse(path, media_type="text/csv; charset=utf-8",
                        filename=f"rejects-{run_id}-{run.table if run else ''}.csv")
