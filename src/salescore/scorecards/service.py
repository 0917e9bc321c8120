"""The scorecards of one organisation: its warehouse, app store, settings and KPI catalogue.

>>> import tempfile
>>> from datetime import date
>>> from salescore.appstore.store import AppStore
>>> from salescore.engine.kpis import KpiEngine
>>> from salescore.engine.warehouse import Warehouse
>>> with Warehouse.open("duckdb://:memory:") as wh, AppStore.open("sqlite://") as app:
...     wh.create_tables()
...     cards = Scorecards(wh, app, KpiEngine(wh.backend))
...     adopted = cards.adopt_shipped(date(2025, 1, 1), actor="demo")
...     [(a.plan, a.version, a.created) for a in adopted]
...     run = cards.score("2025-03")
...     [(r.plan, r.period, len(r.card.subjects)) for r in run.results]
...     [s.plan for s in run.skipped]
[('field-sales', 1, True), ('inside-sales', 1, True), ('key-account-management', 1, True)]
[('field-sales', '2025-03', 0), ('inside-sales', '2025-03', 0)]
['key-account-management']
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from salescore.appstore.models import PlanVersion as StoredVersion
from salescore.appstore.models import Score, SubjectKind
from salescore.appstore.scores import (
    all_plan_versions,
    read_score_records,
    read_scores,
    replace_score_records,
    scored_versions,
    store_score_records,
    store_scores,
)
from salescore.appstore.store import AppStore
from salescore.core.errors import ConfigError, PeriodError
from salescore.core.periods import Calendar, Grain, Period
from salescore.core.scope import AccessError, OutOfScope, Scope
from salescore.core.text import Text
from salescore.engine.explained import pack, unpack
from salescore.engine.kpis import KpiEngine
from salescore.engine.warehouse import Warehouse
from salescore.model.org import OrgSettings
from salescore.scorecards.arithmetic import Scorecard, compare, rating_transitions
from salescore.scorecards.explain import ScoreExplanation, kpi_records, reps_records
from salescore.scorecards.export import ExportFormat, export_scores
from salescore.scorecards.inputs import Roster, read_roster
from salescore.scorecards.records import explanation_from_row, score_records
from salescore.scorecards.runs import PlanPeriodScore, ScoreRun, Skipped, compute_scorecards
from salescore.scorecards.targets import TargetChange, set_target
from salescore.scorecards.versions import (
    Adoption,
    PlanVersionInfo,
    adopt,
    adopted_versions,
    plan_versions,
    stored_plan,
    version_in_force,
)
from salescore.scorecards.whatif import Subjects, WhatIf
from salescore.semantic.plan import PLAN_GRAINS, AppliesTo, Plan
from salescore.semantic.plan_loader import (
    PlanCheck,
    PlanValidationError,
    check_plan_file,
    check_plan_text,
    shipped_plan_paths,
)
from salescore.semantic.specs import Direction

__all__ = ["Scorecards"]


@dataclass(frozen=True)
class _Document:
    plan: Plan
    text: str
    file: str


class Scorecards:
    """Adopt plans, score periods, replay drafts, explain scores and set targets.

    ``engine`` computes the KPIs (its catalogue is the one plans are checked against);
    ``settings`` give the calendar (time zone, fiscal year) and the locale.
    """

    def __init__(self, warehouse: Warehouse, app: AppStore, engine: KpiEngine,
                 settings: OrgSettings | None = None) -> None:
        self.warehouse = warehouse
        self.app = app
        self.engine = engine
        self.settings = settings if settings is not None else engine.settings

    @property
    def scope(self) -> Scope:
        """Whose scores this sees: the engine's runner's scope."""
        return self.engine.runner.scope

    def _require_rep(self, rep_id: str) -> None:
        if not self.engine.runner.reach.has_rep(rep_id):
            raise AccessError(
                f"{rep_id} is outside this session's scope ({self.scope.describe('en')})",
                message_zh=f"{rep_id} 不在当前会话范围内（{self.scope.describe('zh')}）")

    @property
    def calendar(self) -> Calendar:
        return self.settings.calendar

    def directions(self) -> dict[str, Direction]:
        """Each KPI of the catalogue and its direction: what plans are checked against."""
        return {name: kpi.direction for name, kpi in self.engine.catalog.kpis.items()}

    # -- documents ---------------------------------------------------------------------------

    def check(self, path: Path | str | None = None, *, text: str | None = None) -> PlanCheck:
        """Every problem of a plan document (a file, or its text), with file:line, checked
        against the catalogue; never raises for a bad document."""
        if (path is None) == (text is None):
            raise ValueError("give a plan file or its text, not both")
        if text is not None:
            return check_plan_text(text, known=self.directions())
        assert path is not None
        return check_plan_file(path, known=self.directions())

    def _document(self, path: Path | str | None, text: str | None) -> _Document:
        checked = self.check(path, text=text)
        if checked.plan is None:
            raise PlanValidationError(checked.errors)
        if text is None:
            assert path is not None
            text = Path(path).read_text(encoding="utf-8")
        return _Document(checked.plan, text, str(path) if path is not None else "<plan>")

    def _stored_plan(self, version: StoredVersion) -> Plan:
        return stored_plan(version, self.directions())

    # -- versions ----------------------------------------------------------------------------

    def adopt(self, path: Path | str | None = None, *, text: str | None = None,
              effective_from: date | None = None, actor: str, reason: str | None = None,
              replace: bool = False) -> Adoption:
        """Validate a plan document and adopt it from ``effective_from`` (default: the first day
        of the plan's period that holds today, in the organisation's time zone).

        Raises :class:`PlanValidationError` listing every problem (file:line) of an invalid
        document, and :class:`~salescore.appstore.plans.PlanError` when another version is
        adopted from that date (unless ``replace``).
        """
        self.scope.require_writes("adopting a plan", "采用方案")
        document = self._document(path, text)
        if effective_from is None:
            effective_from = self.calendar.period_of(date.today(), document.plan.grain).start
        with self.app.session() as session:
            return adopt(session, document.plan, document.text, effective_from=effective_from,
                         actor=actor, reason=reason, replace=replace)

    def adopt_shipped(self, effective_from: date, *, actor: str, replace: bool = False
                      ) -> list[Adoption]:
        """Adopt every shipped example plan from ``effective_from``; a plan already adopted
        from that date unchanged is left as it is (``replace``: a changed one is replaced)."""
        return [self.adopt(path, effective_from=effective_from, actor=actor,
                           reason="shipped example plan / 内置示例方案", replace=replace)
                for path in shipped_plan_paths()]

    def versions(self) -> list[PlanVersionInfo]:
        """Every stored version of every plan."""
        with self.app.session() as session:
            return plan_versions(session)

    def version_plan(self, name: str, version: int) -> Plan:
        """The document of version ``version`` of plan ``name``, read as a plan (its lines,
        targets, ratings); :class:`ConfigError` when there is no such version."""
        with self.app.session() as session:
            found = next((v for v in all_plan_versions(session)
                          if v.plan.name == name and v.version == version), None)
            if found is None:
                raise ConfigError(f"there is no version {version} of plan {name!r}",
                                  message_zh=f"方案 {name!r} 没有第 {version} 版")
            return self._stored_plan(found)

    def _plan_names(self, wanted: str | None) -> list[str]:
        names = sorted({info.plan for info in self.versions() if info.status == "adopted"})
        if wanted is None:
            return names
        if wanted not in names:
            close = difflib.get_close_matches(wanted, names, n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            hint_zh = f"；是否想输入 {'、'.join(close)}？" if close else ""
            known = ", ".join(names) or "none / 无"
            raise ConfigError(
                f"no adopted plan {wanted!r}{hint} (adopted: {known})",
                message_zh=f"没有已采用的方案 {wanted!r}{hint_zh}（已采用：{known}）")
        return [wanted]

    # -- scoring -----------------------------------------------------------------------------

    def _periods(self, period: Period, grain: Grain) -> list[Period]:
        """The periods of ``grain`` lying wholly within ``period``."""
        if period.grain == grain:
            return [period]
        return [p for p in self.calendar.split(period, grain)
                if p.start >= period.start and p.end <= period.end]

    def roster(self) -> Roster:
        """The reps and teams as scoring sees them (read from the warehouse now)."""
        return read_roster(self.engine.runner, self.calendar)

    def compute(self, plan: Plan, periods: Sequence[Period], *,
                subjects: AppliesTo | None = None, roster: Roster | None = None
                ) -> list[Scorecard]:
        """Score ``plan`` (a document, stored or not) for ``periods``; nothing is stored.
        Needs the everything-scope."""
        # Scores are relative (ranks, team medians): on part of the organisation they would
        # differ from the ones stored.
        self.scope.require_everything("scoring", "评分")
        return compute_scorecards(self.engine, roster or self.roster(), plan,
                                  periods, directions=self.directions(), calendar=self.calendar,
                                  subjects=subjects)

    def score(self, period: str, plan: str | None = None, *, store: bool = True) -> ScoreRun:
        """Score every adopted plan (or ``plan``) for ``period`` and keep the scores.

        Each period of the plan's grain within ``period`` (``2025`` holds twelve months) is
        scored by the version in force on its first day. Storing is idempotent: scoring a period
        again leaves unchanged rows as they are. A plan is skipped, with the reason, when no
        period of its grain fits in ``period`` or no version is in force then.
        """
        if store:
            self.scope.require_writes("storing scores", "保存评分")
        chosen = self.calendar.parse(period)
        results: list[PlanPeriodScore] = []
        skipped: list[Skipped] = []
        roster: Roster | None = None
        for name in self._plan_names(plan):
            groups, notes = self._versions_for(name, chosen)
            skipped.extend(notes)
            if not groups:
                continue
            roster = roster or self.roster()
            for version_id, (version, document, periods) in groups.items():
                cards = self.compute(document, periods, roster=roster)
                for card in cards:
                    stored = None
                    if store:
                        # The records behind each rep's score, kept with it (read back by
                        # explain): the few queries of one explanation for all the reps.
                        reps = tuple(str(r) for r in card.subjects["rep_id"])
                        kept = reps_records(self.engine, document.kpis(), reps=reps,
                                            period=str(card.period))
                        with self.app.session() as session:
                            fresh = session.get(StoredVersion, version_id)
                            assert fresh is not None
                            stored = store_scores(session, fresh, str(card.period),
                                                  score_records(card))
                            store_score_records(session, fresh, str(card.period),
                                                {rep: pack(found) for rep, found in kept.items()})
                    results.append(PlanPeriodScore(name, version, version_id, str(card.period),
                                                   card, stored))
        results.sort(key=lambda r: (r.plan, r.card.period.start))
        return ScoreRun(str(chosen), tuple(results), tuple(skipped))

    def rescore_open(self, reps: Collection[str] | None, *, today: date,
                     new_periods: bool = True) -> list[PlanPeriodScore]:
        """Score again the open period of each adopted plan (the period of its grain that
        holds ``today``) whose reps include any of ``reps`` (``None``: any rep), and keep what
        changed, as :meth:`score` does: rows whose content is unchanged are not written, so
        that an event for one rep writes that rep's row, their team's, and only the rows of
        others whose rank or relative points it moved. The records behind the scores are kept
        again for each rep whose row was written (a first scoring of the period, or under
        another version: for every rep, as :meth:`score`).
        Without ``new_periods`` an open period that holds no stored scores of the plan is
        left for :meth:`score` (an import keeps scores current; it does not start them).

        The KPI values come from one grouped query of the open period (the roll-ups where the
        KPIs allow): the relative parts of a score (ranks, percentiles, team medians) need the
        peers' values, not only the touched reps'."""
        self.scope.require_writes("storing scores", "保存评分")
        wanted = None if reps is None else set(reps)
        results: list[PlanPeriodScore] = []
        roster: Roster | None = None
        for name in self._plan_names(None):
            with self.app.session() as session:
                versions = adopted_versions(session, name)
                if not versions:
                    continue
                documents = {v.id: self._stored_plan(v) for v in versions}
                plan_id = versions[0].plan_id
                chosen: list[tuple[Period, int, int, Plan, bool]] = []
                for grain in sorted({d.grain for d in documents.values()},
                                    key=lambda g: g.value):
                    period = self.calendar.period_of(today, grain)
                    version = version_in_force(session, name, period)
                    if version is None or documents[version.id].grain != grain:
                        continue
                    held = scored_versions(session, plan_id, str(period))
                    if not held and not new_periods:
                        continue
                    chosen.append((period, version.id, version.version, documents[version.id],
                                   held == {version.id}))
            for period, version_id, number, document, same in chosen:
                roster = roster or self.roster()
                members = set(roster.members(document.applies_to, period)["rep_id"])
                if wanted is not None and not members & wanted:
                    continue
                card = self.compute(document, [period], roster=roster)[0]
                label = str(period)
                with self.app.session() as session:
                    fresh = session.get(StoredVersion, version_id)
                    assert fresh is not None
                    stored = store_scores(session, fresh, label, score_records(card))
                scored = tuple(str(r) for r in card.subjects["rep_id"])
                # A row holds each line's value: one not written has the same values, and its
                # records are kept as they were.
                again = {s for kind, s in stored.written if kind == "rep"}
                keep = scored if not same else tuple(r for r in scored if r in again)
                if keep:
                    kept = reps_records(self.engine, document.kpis(), reps=keep, period=label)
                    payloads = {rep: pack(found) for rep, found in kept.items()}
                    with self.app.session() as session:
                        fresh = session.get(StoredVersion, version_id)
                        assert fresh is not None
                        if same:
                            replace_score_records(session, fresh, label, payloads)
                        else:
                            store_score_records(session, fresh, label, payloads)
                results.append(PlanPeriodScore(name, number, version_id, label, card, stored))
        return results

    def _versions_for(self, name: str, period: Period
                      ) -> tuple[dict[int, tuple[int, Plan, list[Period]]], list[Skipped]]:
        """The periods within ``period`` that each adopted version of ``name`` governs, and a
        note for what cannot be scored (no period of the plan's grain fits, some have no
        version in force, or some have not begun: a period in progress is scored, what it
        holds so far against its whole target, one that starts after today is not)."""
        groups: dict[int, tuple[int, Plan, list[Period]]] = {}
        uncovered: list[Period] = []
        ahead: list[Period] = []
        today = self.calendar.today()
        with self.app.session() as session:
            versions = adopted_versions(session, name)
            documents = {v.id: self._stored_plan(v) for v in versions}
            grains = [g for g in PLAN_GRAINS if g in {d.grain for d in documents.values()}]
            fitting = 0
            for grain in grains:
                for candidate in self._periods(period, grain):
                    fitting += 1
                    if candidate.start > today:
                        ahead.append(candidate)
                        continue
                    version = version_in_force(session, name, candidate)
                    if version is None:
                        uncovered.append(candidate)
                        continue
                    if documents[version.id].grain != grain:
                        continue
                    entry = groups.setdefault(version.id,
                                              (version.version, documents[version.id], []))
                    entry[2].append(candidate)
        if fitting == 0:
            grains_in = sorted({d.grain for d in documents.values()})
            scored = ", ".join(g.value for g in grains_in)
            scored_zh = "、".join(g.zh for g in grains_in)
            return groups, [Skipped(name, str(period), Text(
                f"{name} scores whole periods of {scored}; {period} holds none",
                f"{name} 按完整的{scored_zh}评分；{period} 不包含完整的{scored_zh}"))]
        notes = []
        if ahead:
            where = f"{ahead[0]} … {ahead[-1]} ({len(ahead)})" if len(ahead) > 1 \
                else str(ahead[0])
            notes.append(Skipped(name, str(period), Text(
                f"{name}: {where} has not begun (today is {today}); nothing to score yet",
                f"{name}：{where} 尚未开始（今天是 {today}），暂无可评分")))
        if not uncovered:
            return groups, notes
        if len(uncovered) == 1 and uncovered[0] == period:
            where = str(period)
        else:
            where = f"{uncovered[0]} … {uncovered[-1]} ({len(uncovered)})" \
                if len(uncovered) > 1 else str(uncovered[0])
        return groups, [*notes, Skipped(name, str(period), Text(
            f"no version of {name} is in force in {where}", f"{where} 没有生效的 {name} 方案版本"))]

    # -- what-if -----------------------------------------------------------------------------

    def whatif(self, path: Path | str | None = None, *, text: str | None = None, period: str,
               against: str | None = None, subjects: Subjects | None = None) -> WhatIf:
        """Replay a draft plan on ``period`` and compare it with the adopted version in force
        of the plan with the same name (or of ``against``).

        ``subjects``: ``own`` (each plan scores its own reps) or ``baseline`` (the draft is
        replayed on the baseline's reps); by default ``own`` for the same plan and ``baseline``
        for another one. Nothing is stored.
        """
        draft = self._document(path, text).plan
        chosen = self.calendar.parse(period)
        if chosen.grain != draft.grain:
            raise PeriodError(
                f"plan {draft.name} scores {draft.grain.value}s; {chosen} is a "
                f"{chosen.grain.value}",
                message_zh=f"方案 {draft.name} 按{draft.grain.zh}评分；{chosen} 是"
                f"{chosen.grain.zh}")
        name = against or draft.name
        with self.app.session() as session:
            version = version_in_force(session, name, chosen)
            if version is None:
                raise ConfigError(
                    f"no adopted version of plan {name!r} is in force in {chosen} to compare "
                    "with (adopt one, or name another plan with --against)",
                    message_zh=f"{chosen} 没有生效的方案 {name!r} 版本可供比较"
                    "（请先采用，或用 --against 指定其他方案）")
            baseline = self._stored_plan(version)
            number = version.version
        if baseline.grain != draft.grain:
            raise ConfigError(
                f"{name} scores {baseline.grain.value}s and the draft {draft.grain.value}s: "
                "they cannot be compared period by period",
                message_zh=f"{name} 按{baseline.grain.zh}评分，草稿按"
                f"{draft.grain.zh}评分：无法逐期比较")
        mode: Subjects = subjects or ("own" if name == draft.name else "baseline")
        roster = self.roster()
        before = self.compute(baseline, [chosen], roster=roster)[0]
        after = self.compute(draft, [chosen], roster=roster,
                             subjects=baseline.applies_to if mode == "baseline" else None)[0]
        comparison = compare(before, after)
        return WhatIf(str(chosen), draft, baseline, number, mode, before, after, comparison,
                      rating_transitions(comparison))

    # -- explanation -------------------------------------------------------------------------

    def explain(self, rep_id: str, period: str, plan: str | None = None, *,
                records: bool = True) -> ScoreExplanation:
        """``rep_id``'s score for ``period`` down to its lines and, with ``records``, the records
        behind each KPI.

        The stored score is explained when the period has been scored, with the records kept
        when it was (read from the app store: no warehouse query, and the records the score was
        computed from even where data has changed since); otherwise it is computed now (and not
        stored) from the warehouse. Without ``plan``, the plan that scores the rep in ``period``
        (an error names them when there are several).
        """
        self._require_rep(rep_id)
        chosen = self.calendar.parse(period)
        name = plan or self._plan_of(rep_id, chosen)
        self._plan_names(name)
        with self.app.session() as session:
            version = version_in_force(session, name, chosen)
            if version is None:
                raise ConfigError(f"no version of plan {name!r} is in force in {chosen}",
                                  message_zh=f"{chosen} 没有生效的方案 {name!r} 版本")
            document = self._stored_plan(version)
            number, version_id = version.version, version.id
            rows = read_scores(session, period=str(chosen), plan_version_ids=[version_id],
                               subject_kind="rep", subject_id=rep_id)
            explained = explanation_from_row(rows[0]) if rows else None
            kept = read_score_records(session, version_id, str(chosen), rep_id) \
                if rows and records else None
        if explained is None:
            if chosen.grain != document.grain:
                raise PeriodError(
                    f"plan {name} scores {document.grain.value}s; {chosen} is a "
                    f"{chosen.grain.value}",
                    message_zh=f"方案 {name} 按{document.grain.zh}评分；{chosen} 是"
                    f"{chosen.grain.zh}")
            card = self.compute(document, [chosen])[0]
            if rep_id not in set(card.subjects["rep_id"]):
                raise ConfigError(
                    f"plan {name} does not score {rep_id} in {chosen}: the rep is not one it "
                    "applies to, or did not work then",
                    message_zh=f"方案 {name} 在 {chosen} 不为 {rep_id} 评分：该销售不在方案适用"
                    "范围内，或当时不在职")
            explained = card.explain(rep_id)
        credit = document.collaboration.kpis() if document.collaboration else ()
        if not records:
            found = {}
        elif kept is not None:  # as scored: no query
            found = unpack(kept)
        else:  # not scored yet, or scored before records were kept
            found = kpi_records(self.engine, document.kpis(), rep_id=rep_id,
                                period=str(chosen))
        return ScoreExplanation(explained, document, number, stored=bool(rows),
                                credit_kpis=credit, records=found)

    def _plan_of(self, rep_id: str, period: Period) -> str:
        with self.app.session() as session:
            rows = read_scores(session, period=str(period), subject_kind="rep",
                               subject_id=rep_id)
            names = sorted({row.plan_version.plan.name for row in rows})
        if not names:
            roster = self.roster()
            for name in self._plan_names(None):
                groups, _ = self._versions_for(name, period)
                for _, document, periods in groups.values():
                    if period in periods and rep_id in set(
                            roster.members(document.applies_to, period)["rep_id"]):
                        names.append(name)
        if len(names) == 1:
            return names[0]
        if not names:
            raise ConfigError(f"no adopted plan scores {rep_id} in {period}",
                              message_zh=f"{period} 没有为 {rep_id} 评分的已采用方案")
        listed = ", ".join(names)
        raise ConfigError(f"{rep_id} is scored by several plans in {period} ({listed}); "
                          "choose one (--plan)",
                          message_zh=f"{period} 有多个方案为 {rep_id} 评分（{listed}）；"
                          "请指定一个（--plan）")

    # -- stored scores -----------------------------------------------------------------------

    def stored(self, period: str, plan: str | None = None, *, team_reps: bool = False
               ) -> list[Score]:
        """The stored scores of ``period`` (and of every plan period within it), of every plan
        or of ``plan``, that the scope reaches, each row with its plan version and plan loaded.
        With ``team_reps``, also every rep scored in a team the scope reaches (a rep's
        colleagues on their team's leaderboard): what of those rows may be shown is the
        caller's to decide."""
        chosen = self.calendar.parse(period)
        if plan is not None:
            self._plan_names(plan)
        labels = {str(chosen)}
        for grain in PLAN_GRAINS:
            labels.update(str(p) for p in self._periods(chosen, grain))
        with self.app.session() as session:
            rows = [row for label in sorted(labels)
                    for row in read_scores(session, period=label)]
        if plan is not None:
            rows = [row for row in rows if row.plan_version.plan.name == plan]
        reach = self.engine.runner.reach
        if not reach.everything:
            rows = [row for row in rows
                    if (reach.has_rep(row.subject_id)
                        or (team_reps and row.team_id is not None
                            and reach.has_team(row.team_id))
                        if row.subject_kind == "rep" else reach.has_team(row.subject_id))]
        return sorted(rows, key=lambda r: (r.plan_version.plan.name,
                                           self.calendar.parse(r.period).start,
                                           r.subject_kind,
                                           r.rank_company is None, r.rank_company or 0,
                                           r.subject_id))

    def rep_stored(self, rep_id: str) -> list[Score]:
        """Every stored score of rep ``rep_id``, of every plan and period, by plan name then
        period start: the rep's history (one query). The rep must be in the scope."""
        self._require_rep(rep_id)
        return self._history("rep", (rep_id,))

    def teams_stored(self, team_ids: Sequence[str]) -> list[Score]:
        """Every stored score of the teams ``team_ids`` (their own rows, not their reps'), by
        plan name then period start: the teams' history (one query). The caller checks the
        scope."""
        return self._history("team", team_ids)

    def _history(self, kind: SubjectKind, subject_ids: Sequence[str]) -> list[Score]:
        with self.app.session() as session:
            rows = read_scores(session, subject_kind=kind, subject_ids=subject_ids)
        return sorted(rows, key=lambda r: (r.plan_version.plan.name,
                                           self.calendar.parse(r.period).start,
                                           r.plan_version.version))

    def export(self, period: str, path: Path | str, fmt: ExportFormat, plan: str | None = None
               ) -> int:
        """Write the stored scores of ``period`` to ``path`` (csv or xlsx); the rows written.

        :class:`ConfigError` when nothing is stored for the period: score it first.
        """
        rows = self.stored(period, plan)
        if not rows:
            raise ConfigError(
                f"no stored scores for {period}; score it first: salescore score --period "
                f"{period}",
                message_zh=f"{period} 没有已保存的评分；请先运行 salescore score --period {period}")
        return export_scores(rows, path, fmt)

    # -- targets -----------------------------------------------------------------------------

    def set_target(self, scope: str, scope_id: str, period: str, kpi: str, value: float, *,
                   actor: str, reason: str) -> TargetChange:
        """Upsert one target in the warehouse and audit it (``target.set``, before and after).
        A manager's scope sets only the targets of the reps and teams it reaches
        (:class:`OutOfScope` for another)."""
        self.scope.require_target_writes()
        reach = self.engine.runner.reach
        if not (reach.has_rep(scope_id) if scope == "rep" else reach.has_team(scope_id)):
            raise OutOfScope(f"there is no {scope} {scope_id} within {self.scope.describe('en')}",
                             message_zh=f"{self.scope.describe('zh')}内没有 {scope_id}")
        return set_target(self.warehouse, self.app, catalog=self.engine.catalog,
                          calendar=self.calendar, scope=scope, scope_id=scope_id,
                          period=period, kpi=kpi, value=value, actor=actor, reason=reason)
