"""The one code that executes anything on the warehouse, with the caller's scope applied.

Every read of the canonical tables (KPIs, explanations, the roster and targets scoring reads,
exports) is an Ibis expression built against unbound tables (:func:`salescore.compile.schema.
unbound`) and run here. A :class:`Runner` belongs to one session and one
:class:`~salescore.core.scope.Scope`: before running, each table the expression reads is replaced
by that table filtered to the rows the scope may see, by the column its declaration says is the
owner's (:class:`salescore.model.tables.Owner`). The everything-scope runs expressions as they
are. The runner counts the queries it runs, so a caller can bound them.

>>> from salescore.compile.schema import unbound
>>> from salescore.engine.warehouse import Warehouse
>>> with Warehouse.open("duckdb://:memory:") as wh:
...     wh.create_tables()
...     _ = wh.execute_sql("INSERT INTO teams (team_id, name) VALUES ('t1', 'A'), ('t2', 'B')")
...     _ = wh.execute_sql("INSERT INTO reps (rep_id, name, team_id, active) VALUES "
...                        "('r1', 'Ann', 't1', true), ('r2', 'Bo', 't2', true)")
...     runner = Runner(wh.backend, Scope.team("t2"))
...     runner.run(unbound("reps").select("rep_id")).to_pylist(), runner.queries
([{'rep_id': 'r2'}], 3)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import ibis
import ibis.expr.operations as ops
import pyarrow as pa
from ibis.backends import BaseBackend

from salescore.compile.schema import unbound
from salescore.core.lru import Lru
from salescore.core.scope import AccessError, Scope
from salescore.model.tables import TABLES, Table

__all__ = ["MARKED_REACH", "Prepared", "Reach", "Runner", "sql_text"]

_DECLARED: dict[str, Table] = {t.name: t for t in TABLES}
_RUN: Lru[tuple[Any, ...], Prepared] = Lru(512)


@dataclass(frozen=True)
class Prepared:
    """An expression made ready to run again and again within one scope: scoped once, its
    SQL text compiled once (DuckDB), the in-memory tables it reads listed. Running it again
    builds and compiles nothing (:meth:`Runner.run_prepared`)."""

    expr: ibis.Expr
    sql: str | None
    memtables: tuple[ops.InMemoryTable, ...]


@dataclass(frozen=True)
class Reach:
    """The reps and teams a scope reaches (``None``: all of them)."""

    reps: frozenset[str] | None
    teams: frozenset[str] | None

    @property
    def everything(self) -> bool:
        return self.reps is None

    def has_rep(self, rep_id: str) -> bool:
        return self.reps is None or rep_id in self.reps

    def has_team(self, team_id: str) -> bool:
        return self.teams is None or team_id in self.teams


def _anything(row: Mapping[str, Any]) -> bool:
    return True


def sql_text(value: str) -> str:
    """``value`` as a SQL string literal (DuckDB's quoting: a quote is doubled).

    >>> sql_text("O'Neil")
    "'O''Neil'"
    """
    return "'" + value.replace("'", "''") + "'"


_MARK_STEM = "salescore_reach_8d2e41"
MARKED_REACH = Reach(frozenset({f"{_MARK_STEM}_rep_1", f"{_MARK_STEM}_rep_2"}),
                     frozenset({f"{_MARK_STEM}_team_1", f"{_MARK_STEM}_team_2"}))
"""The reach a narrowed scope's queries are compiled for on DuckDB: two marked reps and two
marked teams, which reach the SQL only as the lists ``IN ('…rep_1', '…rep_2')`` (and the
teams' likewise) that each run fills with its own ids."""
assert MARKED_REACH.reps is not None and MARKED_REACH.teams is not None
_REP_LIST = ", ".join(sql_text(r) for r in sorted(MARKED_REACH.reps))
_TEAM_LIST = ", ".join(sql_text(t) for t in sorted(MARKED_REACH.teams))


def _check_marks(sql: str, *, filled: bool = False) -> None:
    """That the marked ids are in ``sql`` only as the two whole lists (``filled``: nowhere
    any more); else the marked query cannot be filled safely, and that is refused."""
    left = sql.replace(_REP_LIST, "").replace(_TEAM_LIST, "") if not filled else sql
    if _MARK_STEM in left:
        raise AccessError("a scoped query names the scope's marked ids outside their lists",
                          message_zh="受限范围查询中的标记 ID 出现在列表之外")


class Runner:
    """Runs expressions on ``backend`` (any Ibis backend holding the canonical tables) within
    ``scope`` (default: everything, writable: the backend's owner). One runner per session: it
    caches what the scope reaches and counts queries."""

    def __init__(self, backend: BaseBackend, scope: Scope | None = None) -> None:
        self.backend = backend
        self.scope = scope if scope is not None else Scope.everything(read_only=False)
        self.queries = 0

    # -- what the scope reaches --------------------------------------------------------------
    @cached_property
    def reach(self) -> Reach:
        """The rep and team ids the scope reaches, read once (two small queries, unscoped)."""
        scope = self.scope
        if scope.kind == "everything":
            return Reach(None, None)
        assert scope.subject is not None
        reps = self._raw(unbound("reps").select("rep_id", "team_id")).to_pylist()
        if scope.kind == "rep":
            team = next((r["team_id"] for r in reps if r["rep_id"] == scope.subject), None)
            if team is None and not any(r["rep_id"] == scope.subject for r in reps):
                raise AccessError(f"there is no rep {scope.subject!r} to scope to",
                                  message_zh=f"没有销售 {scope.subject!r}，无法限定范围")
            return Reach(frozenset({scope.subject}), frozenset({team} if team else set()))
        teams = self._raw(unbound("teams").select("team_id", "parent_team_id")).to_pylist()
        children: dict[str, list[str]] = {}
        known = set()
        for t in teams:
            known.add(t["team_id"])
            if t["parent_team_id"] is not None:
                children.setdefault(t["parent_team_id"], []).append(t["team_id"])
        if scope.subject not in known:
            raise AccessError(f"there is no team {scope.subject!r} to scope to",
                              message_zh=f"没有团队 {scope.subject!r}，无法限定范围")
        subtree: set[str] = set()
        todo = [scope.subject]
        while todo:
            current = todo.pop()
            if current in subtree:
                continue
            subtree.add(current)
            todo.extend(children.get(current, ()))
        members = frozenset(r["rep_id"] for r in reps if r["team_id"] in subtree)
        return Reach(members, frozenset(subtree))

    @cached_property
    def shape(self) -> Reach:
        """The reach this runner's queries are compiled for. On DuckDB, a narrowed reach of
        at least one rep and one team is compiled as :data:`MARKED_REACH`, whose ids stand in
        for anyone's: the SQL is generated once for every such scope and each run puts its
        own ids in their place (:meth:`run_prepared`). Elsewhere, the reach itself."""
        reach = self.reach
        if self.backend.name == "duckdb" and reach.reps and reach.teams:
            return MARKED_REACH
        return reach

    # -- scoping -----------------------------------------------------------------------------
    def visible(self, name: str, reach: Reach | None = None) -> ibis.Table:
        """Canonical table ``name`` as this scope (or ``reach``) sees it (an expression on
        unbound tables)."""
        table = unbound(name)
        reach = self.reach if reach is None else reach
        if reach.everything:
            return table
        assert reach.reps is not None and reach.teams is not None
        declared = _DECLARED[name]
        owner = declared.owner
        if owner is None:
            return table
        reps, teams = sorted(reach.reps), sorted(reach.teams)
        conditions: list[ibis.expr.types.BooleanValue] = []
        conditions += [table[c].isin(reps) for c in owner.reps]
        conditions += [table[c].isin(teams) for c in owner.teams]
        if owner.subject_kind and owner.subject:
            kind, subject = table[owner.subject_kind], table[owner.subject]
            conditions.append(((kind == "rep") & subject.isin(reps))
                              | ((kind == "team") & subject.isin(teams)))
        if owner.via:
            ref = declared.column(owner.via).references
            assert ref is not None
            conditions.append(table[owner.via].isin(self.visible(ref.table, reach)[ref.column]))
        for other in owner.referenced_by:
            source = self.visible(other, reach)
            column = next(c.name for c in _DECLARED[other].columns
                          if c.references is not None and c.references.table == name)
            conditions.append(table[declared.key[0]].isin(source[column]))
        if not conditions:
            return table
        where = conditions[0]
        for more in conditions[1:]:
            where = where | more
        return table.filter(where)

    def row_test(self, name: str) -> Callable[[Mapping[str, Any]], bool] | None:
        """Whether a row of canonical table ``name`` is visible to this scope, as
        :meth:`visible` filters it, for a table whose rows name their owner in their own
        columns (reps, teams, the roster's small tables): a scoped session filters the
        organisation's rows read once instead of compiling a query per scope. ``None`` for a
        table seen through another one (``via``, ``referenced_by``) or by subject (targets):
        those are asked of the backend."""
        reach = self.reach
        owner = _DECLARED[name].owner
        if reach.everything or owner is None:
            return _anything
        if owner.via or owner.referenced_by or owner.subject_kind:
            return None
        if not (owner.reps or owner.teams):
            return _anything
        assert reach.reps is not None and reach.teams is not None
        reps, teams = reach.reps, reach.teams
        rep_columns, team_columns = owner.reps, owner.teams
        return lambda row: (any(row[c] in reps for c in rep_columns)
                            or any(row[c] in teams for c in team_columns))

    def scoped(self, expr: ibis.Expr, reach: Reach | None = None) -> ibis.Expr:
        """``expr`` with every canonical table it reads replaced by the scope's (or
        ``reach``'s) view of it."""
        reach = self.reach if reach is None else reach
        if reach.everything:
            return expr
        node = expr.op()
        found = {t for t in node.find(ops.UnboundTable) if t.name in _DECLARED}
        if not found:
            return expr
        mapping = {t: self.visible(t.name, reach).op() for t in found}
        return node.replace(mapping).to_expr()

    # -- running -----------------------------------------------------------------------------
    def _raw(self, expr: ibis.Expr) -> pa.Table:
        self.queries += 1
        table = self.backend.to_pyarrow(expr)
        assert isinstance(table, pa.Table)
        return table

    def run(self, expr: ibis.Expr) -> pa.Table:
        """Run ``expr`` within the scope; an Arrow table. The SQL of an expression equal to
        one run before in the same reach is not generated again (expressions compare by
        their whole structure, literals included)."""
        key = (self.backend.name, self.shape, expr.op())
        prepared = _RUN.get(key)
        if prepared is None:
            prepared = self.prepare(expr)
            _RUN.put(key, prepared)
        return self.run_prepared(prepared)

    def prepare(self, expr: ibis.Expr) -> Prepared:
        """``expr`` scoped to :attr:`shape` and, on DuckDB, compiled to SQL once (nothing is
        run): a query prepared by one runner runs on any runner of the same shape."""
        scoped = self.scoped(expr, self.shape)
        memtables = tuple(scoped.op().find(ops.InMemoryTable))
        sql = None
        if self.backend.name == "duckdb":
            sql = str(self.backend.compile(scoped.as_table()))
            if self.shape is MARKED_REACH:
                _check_marks(sql)
        return Prepared(scoped, sql, memtables)

    def run_prepared(self, prepared: Prepared) -> pa.Table:
        """Run what :meth:`prepare` made ready (on any runner of the same shape): the same
        table :meth:`run` gives for its expression, a marked reach's ids replaced by this
        runner's own."""
        if prepared.sql is None or self.backend.name != "duckdb":
            return self._raw(prepared.expr)
        sql = prepared.sql
        if _MARK_STEM in sql:
            sql = self._fill_marks(sql)
        from ibis.backends.duckdb.converter import DuckDBPyArrowData

        backend: Any = self.backend
        known = backend._memtables
        for memtable in prepared.memtables:
            if memtable not in known:
                backend._register_in_memory_table(memtable)
                known.add(memtable)
        self.queries += 1
        table = backend.con.sql(sql).to_arrow_table()
        result = prepared.expr.__pyarrow_result__(table, data_mapper=DuckDBPyArrowData)
        assert isinstance(result, pa.Table)
        return result

    def _fill_marks(self, sql: str) -> str:
        """``sql``, compiled for :data:`MARKED_REACH`, with this runner's rep and team ids in
        place of the marked ones. A runner of another shape (everything, or a reach without
        a rep or a team) has no lists to put there: that is a caller's mistake, refused."""
        if self.shape is not MARKED_REACH:
            raise AccessError("a query compiled for a narrowed scope was run in another",
                              message_zh="为受限范围编译的查询不能在其他范围运行")
        reps, teams = self._lists
        sql = sql.replace(_REP_LIST, reps).replace(_TEAM_LIST, teams)
        _check_marks(sql, filled=True)
        return sql

    @cached_property
    def _lists(self) -> tuple[str, str]:
        """This runner's rep and team ids as the SQL lists that fill a marked query (made once
        per runner, not per query)."""
        reach = self.reach
        assert reach.reps is not None and reach.teams is not None
        return (", ".join(sql_text(r) for r in sorted(reach.reps)),
                ", ".join(sql_text(t) for t in sorted(reach.teams)))

    def rows(self, expr: ibis.Expr) -> list[dict[str, Any]]:
        """Run ``expr`` within the scope; its rows as dicts."""
        return list(self.run(expr).to_pylist())

    def sql(self, expr: ibis.Expr) -> str:
        """The SQL ``expr`` runs as within the scope (nothing is run)."""
        return str(ibis.to_sql(self.scoped(expr), dialect=self.backend.name))
