"""Models as records (issue 12): each trained model of the organisation, versioned per kind.

A row names the kind of model (``win``, ``forecast``, ``attainment``, ``potential``), its
version (1, 2, ... within the kind, in the order of training), what it is (``name``:
``win-gbm``, ``win-baseline`` ...), whether there was enough data (``enough``; False: the
feature shows its baseline and ``note`` says so), the training window (``window_start`` to
``cutoff``), the features it reads, its parameters, its metrics, the data stamp of the warehouse
it was trained on, how many rows and seconds it took, who trained it and when.

The fitted estimator is *not* stored: training is deterministic (fixed seeds, one thread), and
the process that predicts refits it from the recorded window (see :mod:`salescore.ml.records`).

Imported by :func:`salescore.appstore.models.full_metadata` (``FEATURE_MODULES``).

>>> from datetime import datetime
>>> from salescore.appstore.store import AppStore
>>> with AppStore.open("sqlite://") as store, store.session() as session:
...     a = add_model_record(session, kind="win", name="win-gbm", enough=True,
...                          window_start=None, cutoff=datetime(2026, 1, 1), features=["x"],
...                          params={}, metrics={"auc": 0.8}, note={"en": "", "zh": ""},
...                          data_stamp="s", rows=10, seconds=1.0, actor="ann")
...     b = add_model_record(session, kind="win", name="win-gbm", enough=True,
...                          window_start=None, cutoff=datetime(2026, 1, 1), features=["x"],
...                          params={}, metrics={"auc": 0.8}, note={"en": "", "zh": ""},
...                          data_stamp="s", rows=10, seconds=1.0, actor="ann")
...     (a.version, b.version, find_model_record(session, "win", datetime(2026, 1, 1), "s").id
...      == b.id)
(1, 2, True)
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Float,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from salescore.appstore.audit import record_audit
from salescore.appstore.models import NAME, Base, _one_of
from salescore.appstore.timestamps import utcnow

__all__ = ["MODEL_KINDS", "MlModel", "add_model_record", "find_model_record",
           "model_records"]

MODEL_KINDS = ("win", "forecast", "attainment", "potential")
STAMP = 64


class MlModel(Base):
    """One trained model (see the module)."""

    __tablename__ = "ml_models"
    __table_args__ = (UniqueConstraint("kind", "version"),
                      CheckConstraint(_one_of("kind", MODEL_KINDS), name="kind"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(NAME))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(NAME))
    enough: Mapped[bool] = mapped_column(Boolean)
    window_start: Mapped[datetime | None] = mapped_column()
    cutoff: Mapped[datetime] = mapped_column()
    features: Mapped[dict[str, Any]] = mapped_column()  # {"names": [...]}
    params: Mapped[dict[str, Any]] = mapped_column()
    metrics: Mapped[dict[str, Any]] = mapped_column()
    note: Mapped[dict[str, Any]] = mapped_column()  # {"en": ..., "zh": ...}
    data_stamp: Mapped[str] = mapped_column(String(STAMP))
    rows: Mapped[int] = mapped_column(Integer)
    seconds: Mapped[float] = mapped_column(Float)
    trained_at: Mapped[datetime] = mapped_column(default=utcnow)
    trained_by: Mapped[str] = mapped_column(String(NAME))

    def __repr__(self) -> str:
        return f"MlModel(kind={self.kind!r}, version={self.version!r}, name={self.name!r})"


def _utc(moment: datetime) -> datetime:
    """A naive time is UTC (the models' cut-offs are naive UTC instants)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def add_model_record(session: Session, *, kind: str, name: str, enough: bool,
                     window_start: datetime | None, cutoff: datetime, features: list[str],
                     params: dict[str, Any], metrics: dict[str, Any], note: dict[str, str],
                     data_stamp: str, rows: int, seconds: float, actor: str) -> MlModel:
    """Store a trained model as the next version of its kind, audited (``model.train``); a
    naive ``cutoff`` or ``window_start`` is UTC."""
    if kind not in MODEL_KINDS:
        raise ValueError(f"unknown model kind {kind!r}")
    last = session.scalar(select(func.max(MlModel.version)).where(MlModel.kind == kind))
    row = MlModel(kind=kind, version=(last or 0) + 1, name=name[:NAME], enough=enough,
                  window_start=None if window_start is None else _utc(window_start),
                  cutoff=_utc(cutoff), features={"names": list(features)},
                  params=params, metrics=metrics, note=note, data_stamp=data_stamp[:STAMP],
                  rows=rows, seconds=seconds, trained_by=actor[:NAME])
    session.add(row)
    session.flush()
    record_audit(session, actor=actor, action="model.train", entity="ml_model",
                 entity_id=row.id, after={"kind": kind, "version": row.version, "name": name,
                                          "enough": enough,
                                          "cutoff": _utc(cutoff).isoformat()})
    return row


def find_model_record(session: Session, kind: str, cutoff: datetime,
                      data_stamp: str) -> MlModel | None:
    """The newest model of ``kind`` trained up to ``cutoff`` on data with ``data_stamp``: the
    one a prediction at that cut-off, on that data, uses."""
    return session.scalars(select(MlModel).where(
        MlModel.kind == kind, MlModel.cutoff == _utc(cutoff),
        MlModel.data_stamp == data_stamp[:STAMP])
        .order_by(MlModel.version.desc()).limit(1)).first()


def model_records(session: Session, *, kind: str | None = None,
                  limit: int = 100) -> list[MlModel]:
    """The models, newest first (of ``kind`` alone where given)."""
    query = select(MlModel).order_by(MlModel.trained_at.desc(), MlModel.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(MlModel.kind == kind)
    return list(session.scalars(query))
