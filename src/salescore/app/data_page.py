"""The Data page (``/data``): upload a file to import, with a shipped preset or a mapping file,
and see what the import did (counts, the rows each problem hit, warnings, the rejected rows to
download); the past imports, newest first; and the data-quality report of every table
(completeness, validity, duplicates, orphans, freshness), each in plain words.

Who may see it is the workspace's decision, as in the API (``/api/v1/imports``, ``/quality``):
the page reads the import runs through the caller's session, and a scope that may not import
(anyone but an admin) is refused there with an :class:`AccessError`, which this page shows as
the page "not part of what your role sees". An upload goes through the same
:meth:`Session.import_recorded` as ``POST /api/v1/imports``, under the app's one lock (the
server is the warehouse's one writer); its form carries the session's CSRF token.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from pathlib import Path
from typing import Any, Literal, assert_never, cast

from babel.dates import format_date, format_datetime
from fastapi import APIRouter, Request
from fastapi import UploadFile as FormFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from salescore.app.dashboards import forbidden_page
from salescore.app.deps import AppState, Caller, app_state, require_csrf
from salescore.app.formatting import as_of_text, babel_locale, number, percent
from salescore.app.pages import render, signed_in, to_login, translator
from salescore.app.problems import CsrfFailed
from salescore.app.routes.imports import rejects_link, store_upload, upload_name
from salescore.app.training import train_later
from salescore.core.errors import SalescoreError
from salescore.core.scope import AccessError
from salescore.workspace import TABLE_NAMES, ImportOptions, ImportResult, Session
from salescore.workspace.session import ImportRecord, RecordedImport

__all__ = ["PAGE_SIZE", "router"]

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
"""Past imports shown per page."""
FRESH_DAYS = 31
"""A table whose newest record is older than this many days is flagged as not fresh."""

Status = Literal["good", "check", "problem", "none"]
Words = Callable[..., str]


# -- what the page shows -----------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Count:
    key: str
    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Problem:
    """Rejected rows that share a column and a reason."""

    column: str
    reason: str
    rows: str
    first_rows: str


@dataclass(frozen=True, slots=True)
class ResultView:
    """One import's outcome, as the page shows it right after the upload."""

    run_id: int
    table: str
    source: str
    loaded: bool
    status: str
    counts: tuple[Count, ...]
    problems: tuple[Problem, ...]
    warnings: tuple[str, ...]
    rejects_href: str | None


@dataclass(frozen=True, slots=True)
class RunView:
    """One past import in the list."""

    id: int
    when: str
    table: str
    source: str
    actor: str
    status: str
    failed: bool
    read: str
    inserted: str
    updated: str
    unchanged: str
    rejected: str
    message: str | None
    rejects_href: str | None


@dataclass(frozen=True, slots=True)
class Check:
    """One dimension of a table's quality: its status and what it means, in plain words."""

    key: str
    label: str
    status: Status
    status_text: str
    summary: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ColumnRow:
    name: str
    required: bool
    filled: str
    unknown: str
    completeness: str


@dataclass(frozen=True, slots=True)
class TableView:
    name: str
    rows: str
    status: Status
    checks: tuple[Check, ...]
    columns: tuple[ColumnRow, ...]


@dataclass(frozen=True, slots=True)
class QualityView:
    computed_at: str
    tables: tuple[TableView, ...]
    empty: tuple[str, ...]
    attention: int


@dataclass(frozen=True, slots=True)
class Choice:
    value: str
    label: str


@dataclass
class DataView:
    tables: tuple[str, ...]
    presets: tuple[Choice, ...]
    runs: tuple[RunView, ...]
    older_href: str | None
    newest_href: str | None
    quality: QualityView
    as_of: str | None
    results: tuple[ResultView, ...] = ()
    error: str | None = None
    form: dict[str, str] = field(default_factory=dict)


# -- formatting --------------------------------------------------------------------------------
def _moment(when: datetime, zone: tzinfo, locale: str) -> str:
    """A UTC time (naive or aware) in the organisation's zone, for ``locale``."""
    aware = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return format_datetime(aware.astimezone(zone), "medium", tzinfo=zone,
                           locale=babel_locale(locale))


def _parse_time(value: object) -> datetime | None:
    """A time as a kept report writes it (``2025-03-01T10:00:00Z``), UTC."""
    if not isinstance(value, str) or not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _status_text(status: Status, words: Words) -> str:
    match status:
        case "good":
            return words("Good")
        case "check":
            return words("Check")
        case "problem":
            return words("Problem")
        case "none":
            return words("Not applicable")
        case _:
            assert_never(status)


def _run_status(status: str, words: Words) -> str:
    match status:
        case "loaded":
            return words("Loaded")
        case "aborted":
            return words("Aborted: nothing was changed")
        case _:
            return words("Failed")


# -- an import's outcome -----------------------------------------------------------------------
def result_view(done: RecordedImport, source: str, locale: str, words: Words) -> ResultView:
    """What the page says of one import run that just ended."""
    r: ImportResult = done.result
    n = lambda value: number(value, locale, 0)  # noqa: E731 - a short alias for the counts
    counts = [Count("read", words("Rows read"), n(r.read_rows)),
              Count("loaded", words("Loaded"), n(r.inserted + r.updated + r.unchanged)),
              Count("inserted", words("New"), n(r.inserted)),
              Count("updated", words("Changed"), n(r.updated)),
              Count("unchanged", words("Unchanged"), n(r.unchanged)),
              Count("rejected", words("Rejected"), n(r.rejected))]
    if r.skipped:
        counts.append(Count("skipped", words("Skipped (as the mapping says)"), n(r.skipped)))
    if r.collapsed:
        counts.append(Count("collapsed", words("Repeated keys merged"), n(r.collapsed)))
    zh = locale == "zh_CN"
    problems = tuple(Problem(
        column=g["column"] or g["field"] or "",
        reason=g["reason_zh"] if zh else g["reason"], rows=n(g["count"]),
        first_rows=", ".join(str(row) for row in g["rows"])) for g in r.reasons())
    warnings: list[str] = []
    if r.unconverted_warning is not None:
        warnings.append(r.unconverted_warning.get(locale))
    for code, rows in r.unconverted:
        warnings.append(words("%(currency)s: %(n)s rows whose amount cannot be converted",
                              currency=code or words("(no currency)"), n=n(rows)))
    for stage, rows in r.unknown_stages.items():
        warnings.append(words("Stage %(stage)s is not in the pipeline: %(n)s rows",
                              stage=stage, n=n(rows)))
    if r.added_stages:
        warnings.append(words("Stages added to the pipeline: %(stages)s",
                              stages=", ".join(r.added_stages)))
    for orphan in r.orphans:
        warnings.append(words("%(column)s names no %(table)s row in %(n)s rows (kept; e.g. "
                              "%(examples)s)", column=orphan.column, table=orphan.table,
                              n=n(orphan.rows), examples=", ".join(orphan.examples[:3])))
    if r.ignored_columns:
        warnings.append(words("Columns not used: %(columns)s",
                              columns=", ".join(r.ignored_columns)))
    warnings += [note.get(locale) for note in r.notes]
    warnings += [issue.text.get(locale) for issue in r.warnings]
    return ResultView(
        run_id=done.run_id, table=r.table, source=source, loaded=r.loaded,
        status=_run_status(r.status, words), counts=tuple(counts), problems=problems,
        warnings=tuple(warnings),
        rejects_href=rejects_link(done.run_id) if r.rejects_file is not None else None)


def _run_view(run: ImportRecord, zone: tzinfo, locale: str, words: Words) -> RunView:
    n = lambda value: number(value, locale, 0)  # noqa: E731 - a short alias for the counts
    return RunView(
        id=run.id, when=_moment(run.finished_at or run.started_at, zone, locale),
        table=run.table, source=run.source, actor=run.actor,
        status=_run_status(run.status, words), failed=run.status != "loaded",
        read=n(run.read_rows), inserted=n(run.inserted), updated=n(run.updated),
        unchanged=n(run.unchanged), rejected=n(run.rejected), message=run.message,
        rejects_href=rejects_link(run.id) if run.rejects_file is not None
        and run.rejects_file.is_file() else None)


# -- the quality report ------------------------------------------------------------------------
def _issue_text(issue: dict[str, Any], locale: str) -> str:
    text = str(issue.get("zh") if locale == "zh_CN" else issue.get("en"))
    examples = issue.get("examples") or []
    if examples:
        text += " (" + ", ".join(str(e) for e in examples[:5]) + ")"
    return text


def _table_view(t: dict[str, Any], groups: Sequence[dict[str, Any]], in_groups: int,
                today: date, zone: tzinfo, locale: str, words: Words) -> TableView:
    """One table's five checks in plain words (``groups``: likely duplicate customers, and
    ``in_groups`` the customers in them, for the customers table)."""
    n = lambda value: number(value, locale, 0)  # noqa: E731 - a short alias for the counts
    rows = int(t["rows"])
    columns = t["columns"]
    issues = t.get("issues", [])
    # completeness
    unknown = [(c["name"], int(c.get("unknown", rows - int(c["filled"])))) for c in columns]
    unknown = [(name, k) for name, k in unknown if k]
    cells = rows * len(columns)
    filled = sum(int(c["filled"]) for c in columns)
    required_missing = any(c["required"] and int(c["filled"]) < rows for c in columns)
    share = percent(filled / cells if cells else 1.0, locale, 1)
    if not unknown:
        completeness = Check("completeness", words("Completeness"), "good",
                             _status_text("good", words),
                             words("Every value is present (%(share)s).", share=share))
    else:
        # Unknown in an optional column is what real exports hold (an open deal's amount):
        # counted and shown, not a fault; a required column without a value is one.
        status: Status = "problem" if required_missing else "good"
        completeness = Check(
            "completeness", words("Completeness"), status, _status_text(status, words),
            words("%(share)s of values present; %(n)s unknown, kept as unknown and left out "
                  "of sums and averages.", share=share, n=n(sum(k for _, k in unknown))),
            tuple(words("%(column)s: %(n)s unknown", column=name, n=n(k))
                  for name, k in unknown))
    # validity
    invalid = int(t["invalid_rows"])
    broken = tuple(_issue_text(i, locale) + f": {n(i['rows'])}" for i in issues
                   if i["severity"] == "invalid" and i["check"] != "duplicate_keys")
    if invalid:
        validity = Check("validity", words("Validity"), "problem",
                         _status_text("problem", words),
                         words("%(share)s valid: %(n)s rows break a rule.",
                               share=percent(float(t["validity"]), locale, 1), n=n(invalid)),
                         broken)
    else:
        validity = Check("validity", words("Validity"), "good", _status_text("good", words),
                         words("Every row keeps the rules (%(share)s valid).",
                               share=percent(1.0, locale, 1)))
    # duplicates
    repeated = int(t["duplicate_keys"])
    likely = list(groups) if t["name"] == "customers" else []
    same = tuple(words("Likely the same customer: %(customers)s", customers=", ".join(
        f"{cid} {name}" for cid, name in g["customers"])) for g in likely)
    if repeated:
        duplicates = Check("duplicates", words("Duplicates"), "problem",
                           _status_text("problem", words),
                           words("%(n)s rows repeat a key.", n=n(repeated)), same)
    elif likely:
        duplicates = Check("duplicates", words("Duplicates"), "check",
                           _status_text("check", words),
                           words("No key repeats; %(n)s customers share a name once case, "
                                 "punctuation and company suffixes are ignored.",
                                 n=n(int(in_groups))), same)
    else:
        duplicates = Check("duplicates", words("Duplicates"), "good",
                           _status_text("good", words), words("No key repeats."))
    # orphans
    orphans = {str(k): int(v) for k, v in (t.get("orphans") or {}).items()}
    if orphans:
        orphan_lines = tuple(_issue_text(i, locale) + f": {n(i['rows'])}" for i in issues
                             if str(i["check"]).startswith("orphans:"))
        orphan_check = Check("orphans", words("Orphans"), "check", _status_text("check", words),
                             words("%(n)s references name a row that does not exist (kept).",
                                   n=n(sum(orphans.values()))), orphan_lines)
    else:
        orphan_check = Check("orphans", words("Orphans"), "good", _status_text("good", words),
                             words("Every reference names an existing row."))
    # freshness
    newest = _parse_time(t.get("newest"))
    oldest = _parse_time(t.get("oldest"))
    if newest is None:
        freshness = Check("freshness", words("Freshness"), "none", _status_text("none", words),
                          words("This table has no time column."))
    else:
        local = newest.astimezone(zone).date()
        days = (today - local).days
        fresh: Status = "good" if days <= FRESH_DAYS else "check"
        first = format_date(oldest.astimezone(zone).date(), "medium",
                            locale=babel_locale(locale)) if oldest else "—"
        freshness = Check(
            "freshness", words("Freshness"), fresh, _status_text(fresh, words),
            words("Newest record %(date)s, %(days)s days ago; oldest %(first)s.",
                  date=format_date(local, "medium", locale=babel_locale(locale)),
                  days=n(days), first=first))
    checks = [completeness, validity, duplicates, orphan_check, freshness]
    others = tuple(_issue_text(i, locale) + f": {n(i['rows'])}" for i in issues
                   if i["severity"] != "invalid" and not str(i["check"]).startswith("orphans:"))
    if others:
        checks.append(Check("other", words("Other findings"), "check",
                            _status_text("check", words), words("Worth a look:"), others))
    worst: Status = "problem" if any(c.status == "problem" for c in checks) else \
        "check" if any(c.status == "check" for c in checks) else "good"
    return TableView(
        name=t["name"], rows=n(rows), status=worst, checks=tuple(checks),
        columns=tuple(ColumnRow(
            name=c["name"], required=bool(c["required"]), filled=n(int(c["filled"])),
            unknown=n(int(c.get("unknown", rows - int(c["filled"])))),
            completeness=percent(float(c["completeness"]), locale, 1)) for c in columns))


def quality_view(report: dict[str, Any], today: date, zone: tzinfo, locale: str,
                 words: Words) -> QualityView:
    """The quality report (as :meth:`QualityReport.to_dict` writes it) in plain words.

    >>> from datetime import UTC
    >>> from salescore.app.pages import translator
    >>> report = {"created_at": "2025-05-06T08:00:00Z", "tables": [{
    ...     "name": "teams", "rows": 2, "invalid_rows": 0, "validity": 1.0,
    ...     "duplicate_keys": 0, "orphans": {}, "newest": None, "oldest": None, "issues": [],
    ...     "columns": [{"name": "team_id", "filled": 2, "unknown": 0, "completeness": 1.0,
    ...                  "required": True},
    ...                 {"name": "region", "filled": 1, "unknown": 1, "completeness": 0.5,
    ...                  "required": False}]}]}
    >>> view = quality_view(report, date(2025, 5, 6), UTC, "zh_CN", translator("zh_CN"))
    >>> [(c.label, c.status_text, c.summary) for c in view.tables[0].checks][:2]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('完整性', '良好', '75% 的值已填写；1 个未知值按未知保留，不计入合计与平均。'),
     ('有效性', '良好', '所有行均符合规则（有效率 100%）。')]
    """
    created = _parse_time(report.get("created_at"))
    groups = report.get("likely_duplicate_customers") or []
    tables = [t for t in report.get("tables", []) if int(t["rows"])]
    in_groups = int(report.get("duplicate_customer_rows") or 0)
    views = tuple(_table_view(t, groups, in_groups, today, zone, locale, words)
                  for t in tables)
    return QualityView(
        computed_at=_moment(created, zone, locale) if created else "—",
        tables=views,
        empty=tuple(t["name"] for t in report.get("tables", []) if not int(t["rows"])),
        attention=sum(1 for v in views if v.status != "good"))


# -- the page ----------------------------------------------------------------------------------
def _preset_choices(session: Session, locale: str) -> tuple[Choice, ...]:
    out = []
    for preset in session.import_presets():
        label = preset.name
        if preset.description is not None:
            label += " — " + preset.description.get(locale)
        out.append(Choice(preset.name, label))
    return tuple(out)


def data_view(session: Session, locale: str, words: Words, today: date, *,
              before: int | None = None) -> DataView:
    """The page for ``session``: past imports (older than run ``before``, where given), the
    newest kept quality report (else one computed now and kept). :class:`AccessError` for a
    scope that may not import."""
    runs = session.import_runs(limit=PAGE_SIZE + 1, before_id=before)
    zone = session.workspace.settings.calendar.zone
    shown = runs[:PAGE_SIZE]
    # The report is kept after each import that loads and on Recompute; never kept yet (a
    # warehouse filled otherwise), it is computed once and kept, not on every view.
    report = session.saved_quality() or session.quality(save=True).to_dict()
    return DataView(
        tables=TABLE_NAMES, presets=_preset_choices(session, locale),
        runs=tuple(_run_view(r, zone, locale, words) for r in shown),
        older_href=f"/data?before={shown[-1].id}#imports" if len(runs) > PAGE_SIZE else None,
        newest_href="/data#imports" if before is not None else None,
        quality=quality_view(report, today, zone, locale, words),
        as_of=as_of_text(session, locale))


async def _page(request: Request, caller: Caller, state: AppState,
                build: Callable[[Session], DataView], *, status: int = 200) -> Response:
    """``build(session)`` under the app's lock, on the caller's session, rendered; the page
    "not part of what your role sees" when the workspace refuses the caller's scope."""
    p = caller.principal
    try:
        scope = p.scope()
        async with state.lock:
            view = await run_in_threadpool(lambda: build(state.workspace.session(scope)))
    except AccessError:
        return forbidden_page(request, caller)
    if view.error and status == 200:
        status = 422  # the import could not be made: the page says why
    return render(request, "data.html", p.locale, status=status, caller=caller, view=view,
                  as_of=view.as_of, shown_period=None)


def _before(request: Request) -> int | None:
    value = request.query_params.get("before", "")
    return int(value) if value.isdigit() and 0 < int(value) < 2**31 else None


@router.get("/data", response_class=HTMLResponse)
async def data_page(request: Request) -> Response:
    """The Data page for an admin."""
    caller = await signed_in(request)
    if caller is None:
        return to_login(request)
    state = app_state(request)
    p = caller.principal
    words = translator(p.locale)
    today = state.today()
    before = _before(request)
    return await _page(request, caller, state,
                       lambda s: data_view(s, p.locale, words, today, before=before))


def _upload(value: object) -> FormFile | None:
    """A file field of the form: ``None`` when no file was chosen."""
    # FastAPI's UploadFile (what the API's store_upload takes) is Starlette's, re-declared for its
    # documentation; the form gives Starlette's.
    return cast(FormFile, value) if isinstance(value, UploadFile) and value.filename else None


@router.post("/data/imports", response_class=HTMLResponse)
async def upload(request: Request) -> Response:
    """Import the uploaded file into the table chosen (or every table its mapping maps), then
    the page with what the import did."""
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return to_login(request)
    state = app_state(request)
    p = caller.principal
    words = translator(p.locale)
    today = state.today()
    try:
        await require_csrf(request, caller.web)
    except CsrfFailed as exc:
        error = exc.text.get(p.locale)

        def refused(session: Session) -> DataView:
            view = data_view(session, p.locale, words, today)
            view.error = error
            return view

        return await _page(request, caller, state, refused, status=403)
    try:
        # Refused before anything is written, as the API does: a scope that may not import.
        p.scope().require_writes("importing", "导入")
    except AccessError:
        return forbidden_page(request, caller)
    form = await request.form()
    table = str(form.get("table") or "")
    preset = str(form.get("preset") or "") or None
    file = _upload(form.get("file"))
    mapping = _upload(form.get("mapping"))
    options = ImportOptions(strict=form.get("strict") == "on",
                            add_stages=form.get("add_stages") == "on")
    chosen = {"table": table, "preset": preset or ""}
    problem: str | None = None
    if table != "all" and table not in TABLE_NAMES:
        problem = words("Choose the table to import into.")
    elif file is None:
        problem = words("Choose a file to import.")
    elif mapping is not None and preset:
        problem = words("Give a preset or a mapping file, not both.")
    elif table == "all" and mapping is None and not preset:
        problem = words("Importing into every table needs a preset or a mapping file that "
                        "names the tables.")
    if problem is not None or file is None:
        message = problem

        def invalid(session: Session) -> DataView:
            view = data_view(session, p.locale, words, today)
            view.error, view.form = message, chosen
            return view

        return await _page(request, caller, state, invalid, status=422)
    name = upload_name(file.filename)
    stored = await run_in_threadpool(store_upload, file, state.uploads)
    mapping_path = None if mapping is None else \
        await run_in_threadpool(store_upload, mapping, state.uploads, ".yaml")
    rejects = state.workspace.locations.home / "rejects" / f"{table}-{uuid.uuid4().hex}.csv"

    loaded: list[Any] = []

    def run(session: Session) -> DataView:
        error: str | None = None
        results: tuple[ResultView, ...] = ()
        try:
            if table == "all":
                done = session.import_tables_recorded(
                    stored, mapping=mapping_path, preset=preset, options=options,
                    rejects=rejects, actor=p.username, source=name, train=False)
            else:
                done = [session.import_recorded(
                    table, stored, mapping=mapping_path, preset=preset, options=options,
                    rejects=rejects, actor=p.username, source=name, train=False)]
            loaded.extend(d for d in done if d.result.loaded)
            results = tuple(result_view(d, name, p.locale, words) for d in done)
        except AccessError:
            raise
        except SalescoreError as exc:
            error = exc.localized(p.locale)
        view = data_view(session, p.locale, words, today)
        view.results, view.error, view.form = results, error, chosen
        return view

    try:
        return await _page(request, caller, state, run)
    finally:
        state.cache.clear()
        if not state.settings.uploads_kept:
            _remove(stored, mapping_path)
        if loaded:  # the models are trained again in the background (app/training.py)
            train_later(state, p.username)


def _remove(*paths: Path | None) -> None:
    for path in paths:
        if path is not None:
            path.unlink(missing_ok=True)


@router.post("/data/quality")
async def recompute_quality(request: Request) -> Response:
    """Compute the quality report now and keep it; back to the page's quality section."""
    caller = await signed_in(request)
    if caller is None or caller.web is None:
        return to_login(request)
    state = app_state(request)
    p = caller.principal
    try:
        await require_csrf(request, caller.web)
    except CsrfFailed as exc:
        words = translator(p.locale)
        today = state.today()
        error = exc.text.get(p.locale)

        def refused(session: Session) -> DataView:
            view = data_view(session, p.locale, words, today)
            view.error = error
            return view

        return await _page(request, caller, state, refused, status=403)
    try:
        scope = p.scope()
        async with state.lock:
            # The same refusal as the page's: only a scope that may import sees the page.
            await run_in_threadpool(lambda: _recompute(state.workspace.session(scope)))
    except AccessError:
        return forbidden_page(request, caller)
    state.cache.clear()
    return RedirectResponse("/data#quality", status_code=303)


def _recompute(session: Session) -> None:
    session.import_runs(limit=1)  # the Data page's own refusal, before any work
    session.quality(save=True)
