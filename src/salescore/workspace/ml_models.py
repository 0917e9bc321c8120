"""The models' records in the app store (issue 12): the :class:`~salescore.ml.records.ModelRegistry`
that ``session.ml`` stores trained models through, and the training after an import.

After each import that loads rows (a file, a folder of tables once at its end, an Arrow table),
the models are trained again on the new data when the organisation's setting
``ml.train_after_import`` is on (off by default), within ``ml.train_budget_seconds``: the kinds not
started by then wait for the next ``salescore train``. The CLI trains in the importing command,
after the import has committed (the import itself never waits on or fails for training); the
server leaves it to its background, under the workspace lock, so that an upload answers as soon
as it is loaded (:func:`train_after_import` with ``defer``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from salescore.appstore.ml_models import add_model_record, find_model_record, model_records
from salescore.core.text import Text
from salescore.ml.records import ModelRecord, TrainedModel, TrainingRun

if TYPE_CHECKING:
    from salescore.appstore.ml_models import MlModel
    from salescore.appstore.store import AppStore
    from salescore.workspace.session import Session

__all__ = ["AppStoreRegistry", "train_after_import"]

log = logging.getLogger("salescore.ml")


def _naive(moment: datetime | None) -> datetime | None:
    """The app store keeps UTC with its zone; the models' instants are naive UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(UTC).replace(tzinfo=None)


def _record(row: MlModel) -> ModelRecord:
    note = row.note or {}
    cutoff = _naive(row.cutoff)
    assert cutoff is not None
    return ModelRecord(
        id=row.id, kind=row.kind, version=row.version, name=row.name, enough=row.enough,
        window_start=_naive(row.window_start), cutoff=cutoff,
        features=list((row.features or {}).get("names", [])), params=dict(row.params or {}),
        metrics=dict(row.metrics or {}), note=Text(str(note.get("en", "")),
                                                   str(note.get("zh", ""))),
        data_stamp=row.data_stamp, rows=row.rows, seconds=row.seconds,
        trained_at=row.trained_at, trained_by=row.trained_by)


class AppStoreRegistry:
    """The records, in the workspace's app store."""

    def __init__(self, app: AppStore) -> None:
        self.app = app

    def add(self, model: TrainedModel, data_stamp: str, actor: str) -> ModelRecord:
        with self.app.session() as session:
            row = add_model_record(
                session, kind=model.kind, name=model.name, enough=model.enough,
                window_start=model.window_start, cutoff=model.cutoff, features=model.features,
                params=model.params, metrics=model.metrics,
                note={"en": model.note.en, "zh": model.note.zh}, data_stamp=data_stamp,
                rows=model.rows, seconds=round(model.seconds, 3), actor=actor)
            return _record(row)

    def find(self, kind: str, cutoff: datetime, data_stamp: str) -> ModelRecord | None:
        with self.app.session() as session:
            row = find_model_record(session, kind, cutoff, data_stamp)
            return None if row is None else _record(row)

    def records(self, kind: str | None = None, limit: int = 100) -> list[ModelRecord]:
        with self.app.session() as session:
            return [_record(r) for r in model_records(session, kind=kind, limit=limit)]


def train_after_import(session: Session, *, actor: str,
                       defer: Callable[[Callable[[], Any]], None] | None = None
                       ) -> TrainingRun | None:
    """Train the models after an import when the setting asks for it (see the module): now,
    or handed to ``defer`` (the server's background) as a callable. Never raises: a training
    that fails is logged, and the import stands."""
    settings = session.workspace.settings.ml
    if not settings.train_after_import or not session.scope.is_everything:
        return None

    def work() -> TrainingRun | None:
        try:
            as_of = session.data_last_day()
            if as_of is None:
                return None
            return session.ml.train(as_of, actor=actor,
                                    budget=float(settings.train_budget_seconds))
        except Exception:  # the import has committed; its training is a follow-up
            log.exception("training after the import failed")
            return None

    if defer is not None:
        defer(work)
        return None
    return work()
