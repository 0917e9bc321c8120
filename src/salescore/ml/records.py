"""Models as records (issue 12, part 7): what a trained model is, as the app store keeps it.

Each training of a kind of model (:data:`KINDS`) gives a :class:`TrainedModel`: its name
(``win-gbm``, or ``win-baseline`` when there was not enough data), whether there was enough
data, the training window (first instant seen to the cut-off), the features it reads, its
parameters and metrics, how many rows and seconds it took. The workspace stores it through a
:class:`ModelRegistry` as the next version of its kind, with the data stamp of the warehouse
(what changes when data is imported), and gets back a :class:`ModelRecord`. Every prediction
names the record of its kind trained at the same cut-off on the same data (``None`` when there
is none yet: ``salescore train``, or the training after an import, makes one).

The fitted estimator is not stored. Training is deterministic (fixed seeds, one thread, the
same rows in the same order), so the process that predicts refits it from the recorded window
the first time it is asked, and keeps it in memory. A pickled estimator (joblib, or pickle
under any name) runs code when it is loaded: anyone who can write a row of the app store (a
shared PostgreSQL database) could then run code in the server, and a hash kept in the same row
guards against corruption, not against them; skops would avoid that but is one more dependency
whose trusted-types list must follow scikit-learn's internals.

>>> sorted(KINDS)
['attainment', 'forecast', 'potential', 'win']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from salescore.core.text import Text

__all__ = ["KINDS", "ModelRecord", "ModelRegistry", "TrainedModel", "TrainingRun"]

KINDS = ("win", "forecast", "attainment", "potential")
"""In the order ``train`` runs them: the later ones read the win model."""


@dataclass(frozen=True)
class TrainedModel:
    """One model as training left it (see the module); ``enough`` False: the feature shows
    its baseline, and ``note`` says why."""

    kind: str
    name: str
    enough: bool
    window_start: datetime | None
    cutoff: datetime
    features: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    note: Text
    rows: int
    seconds: float


@dataclass(frozen=True)
class ModelRecord:
    """A stored model: :class:`TrainedModel`'s fields with its id, version within the kind,
    data stamp, and who trained it when."""

    id: int
    kind: str
    version: int
    name: str
    enough: bool
    window_start: datetime | None
    cutoff: datetime
    features: list[str]
    params: dict[str, Any]
    metrics: dict[str, Any]
    note: Text
    data_stamp: str
    rows: int
    seconds: float
    trained_at: datetime
    trained_by: str

    @property
    def label(self) -> str:
        """``win v3 (win-gbm)``: how a page or a table names it."""
        return f"{self.kind} v{self.version} ({self.name})"


@dataclass(frozen=True)
class TrainingRun:
    """What one ``train`` did: the records it stored, the kinds it left out for the time
    budget, and how long it took."""

    records: list[ModelRecord]
    skipped: list[str] = field(default_factory=list)
    seconds: float = 0.0


class ModelRegistry(Protocol):
    """Where the records live (the workspace's app store)."""

    def add(self, model: TrainedModel, data_stamp: str, actor: str) -> ModelRecord: ...

    def find(self, kind: str, cutoff: datetime, data_stamp: str) -> ModelRecord | None: ...

    def records(self, kind: str | None = None, limit: int = 100) -> list[ModelRecord]: ...
