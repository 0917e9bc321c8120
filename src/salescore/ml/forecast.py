"""Statistical forecasts of monthly series, chosen per series by rolling-origin backtest.

Candidates (statsmodels): ETS with a damped additive trend, ARIMA(1,0,0) with a constant
(Yule-Walker with feasible GLS, computed directly as statsmodels does), the Theta method
(computed directly under two years of history, see :func:`_theta`), and the baseline,
seasonal naive (the same month a year before; naive, the last month, while there is less than
a year). Each is refitted at every origin of the backtest (the last :data:`ORIGINS` months that
leave at least :data:`MIN_TRAIN` months before them) and
forecasts up to ``horizon`` months ahead; the candidate with the lowest WAPE over those
forecasts is chosen (the baseline on a tie). Intervals are empirical: the chosen method's
backtest errors give a standard deviation per step ahead (pooled where there are few), and the
interval is the point plus or minus z of them, never below zero.

A series with fewer than :data:`MIN_MONTHS` months says "not enough data" and shows the
baseline, with no error figures.

>>> f = forecast_series([10.0, 12, 11, 13, 12, 14, 13, 15, 14, 16, 15, 17, 16, 18], 3)
>>> f.enough, len(f.point), f.method in METHODS
(True, 3, True)
>>> forecast_series([5.0, 6.0], 2).method, forecast_series([5.0, 6.0], 2).point
('naive', [6.0, 6.0])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from threadpoolctl import threadpool_limits

__all__ = ["METHODS", "MIN_MONTHS", "MIN_TRAIN", "ORIGINS", "Accuracy", "SeriesForecast",
           "baseline_forecast", "errors", "forecast_series", "reconcile"]

SEASON = 12
MIN_TRAIN = 6  # months a candidate is fitted on, at the least
ORIGINS = 4  # backtest origins, at most
MIN_MONTHS = MIN_TRAIN + 3  # three origins at the least
Z80 = 1.2816  # the 80 % interval
METHODS = ("seasonal_naive", "naive", "ets", "arima", "theta")


@dataclass(frozen=True)
class Accuracy:
    """Backtest errors of one method: WAPE (sum of absolute errors over sum of actuals) and
    MAPE (mean absolute percentage error over the months with a non-zero actual); ``None``
    where not defined (no actuals, or all zero)."""

    wape: float | None
    mape: float | None
    forecasts: int


@dataclass(frozen=True)
class SeriesForecast:
    """One series' forecast: the method chosen, its points and 80 % interval per month ahead,
    its backtest accuracy and the baseline's; ``enough`` False: too short a history, the
    baseline shown and no accuracy."""

    method: str
    point: list[float]
    low: list[float]
    high: list[float]
    accuracy: Accuracy | None
    baseline: Accuracy | None
    enough: bool
    months: int  # of history
    candidates: dict[str, Accuracy]


def baseline_forecast(history: Sequence[float], horizon: int) -> tuple[str, list[float]]:
    """Seasonal naive where there is a year of history, naive (the last value) before that,
    zero with no history."""
    y = list(history)
    if len(y) >= SEASON:
        return "seasonal_naive", [float(y[len(y) - SEASON + (h % SEASON)]) for h in range(horizon)]
    return "naive", [float(y[-1]) if y else 0.0] * horizon


def _ets(y: np.ndarray, horizon: int) -> np.ndarray:
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    # Starting values from statsmodels' heuristics rather than its brute-force grid: a fit
    # 40 % cheaper, and on the small demo the same method chosen for 60 of 61 series with the
    # same backtest error to three decimals (bench/results/ml.md).
    return np.asarray(ExponentialSmoothing(y, trend="add", damped_trend=True,
                                           initialization_method="estimated")
                      .fit(use_brute=False).forecast(horizon))


def _arima(y: np.ndarray, horizon: int) -> np.ndarray:
    """ARIMA(1,0,0) with a constant, as statsmodels fits it with
    ``ARIMA(y, order=(1, 0, 0), trend="c").fit(method="yule_walker")``: feasible GLS, the mean
    by least squares on the Prais-Winsten transform of the series and the AR coefficient by
    Yule-Walker on what the mean leaves, in turn until the mean moves by less than 1e-8 (at most
    50 rounds); the forecast is the mean plus the last deviation decayed by the coefficient.
    The same figures (``tests/ml/test_forecast.py`` checks them against statsmodels to 1e-9)
    about fifty times faster: statsmodels builds a state-space model per fit, and a forecast
    of every rep and team fits one per series, origin and candidate. A non-stationary
    estimate is not a candidate (statsmodels refuses it too)."""
    n = len(y)
    mean, phi = float(y.mean()), 0.0
    for _ in range(50):
        x = y - mean
        r0 = float(x @ x) / n
        if r0 <= 0:
            raise ValueError("a constant series has no autocorrelation")
        phi = float(x[1:] @ x[:-1]) / n / r0
        if not abs(phi) < 1:
            raise ValueError("the autoregressive estimate is not stationary")
        w0 = math.sqrt(1 - phi ** 2)
        u = np.r_[w0 * y[0], y[1:] - phi * y[:-1]]
        z = np.r_[w0, np.full(n - 1, 1 - phi)]
        moved, mean = abs(float(z @ u) / float(z @ z) - mean), float(z @ u) / float(z @ z)
        if moved < 1e-8:
            break
    return mean + phi ** np.arange(1, horizon + 1) * (y[-1] - mean)


ALPHAS = np.linspace(1e-4, 1 - 1e-4, 101)  # statsmodels' bounds on the smoothing weight


def _ses(y: np.ndarray, alphas: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Simple exponential smoothing of ``y`` from the known initial level ``y[0]`` for each
    weight of ``alphas`` at once: the sum of squared one-step errors and the last level."""
    level = np.full(len(alphas), float(y[0]))
    sse = np.zeros(len(alphas))
    for value in y[1:]:
        error = value - level
        sse += error * error
        level = level + alphas * error
    return sse, level


def _ses_weight(y: np.ndarray) -> float:
    """The smoothing weight of least squared one-step errors: the best of :data:`ALPHAS`,
    refined between its neighbours."""
    from scipy.optimize import minimize_scalar

    best = int(np.argmin(_ses(y, ALPHAS)[0]))
    low, high = ALPHAS[max(best - 1, 0)], ALPHAS[min(best + 1, len(ALPHAS) - 1)]
    return float(minimize_scalar(lambda a: float(_ses(y, np.array([a]))[0][0]),
                                 bounds=(low, high), method="bounded",
                                 options={"xatol": 1e-10}).x)


def _theta(y: np.ndarray, horizon: int) -> np.ndarray:
    """The Theta method as statsmodels' ``ThetaModel(y, period=12).fit()`` defines it: simple
    exponential smoothing from the first value (the weight that minimises the squared one-step
    errors, as its likelihood with the scale concentrated out does) plus half the least-squares
    slope, drifting as Hyndman and Billah (2003) give it. Computed directly where there is no
    seasonality to remove (less than two years): statsmodels fits a state-space model by
    numerical likelihood for the one weight, several milliseconds a fit, and a forecast of
    every rep and team fits one per series, origin and candidate. The weight is the best of a
    grid, refined within its neighbours, so that a flat likelihood or a local optimum that
    stops statsmodels' optimiser does not stop it (``tests/ml/test_forecast.py`` compares
    both). With two years or more, statsmodels' model, which tests for and removes the
    seasonality first."""
    n = len(y)
    if n >= 2 * SEASON:
        from statsmodels.tsa.forecasting.theta import ThetaModel

        return np.asarray(ThetaModel(y, period=SEASON, deseasonalize=True).fit()
                          .forecast(horizon))
    t = np.arange(n, dtype=float)
    slope = float(np.linalg.lstsq(np.c_[np.ones(n), t], y, rcond=None)[0][1])
    alpha = _ses_weight(y)
    level = float(_ses(y, np.array([alpha]))[1][0])
    steps = np.arange(horizon, dtype=float) + 1 / alpha - (1 - alpha) ** n / alpha
    return level + 0.5 * slope * steps


def _baseline(y: np.ndarray, horizon: int) -> np.ndarray:
    return np.asarray(baseline_forecast(list(y), horizon)[1])


FITS: dict[str, Callable[[np.ndarray, int], np.ndarray]] = {
    "baseline": _baseline, "ets": _ets, "arima": _arima, "theta": _theta}


def _fit(name: str, y: np.ndarray, horizon: int) -> np.ndarray:
    if name != "baseline" and (np.allclose(y, y[0]) or len(y) < 4):
        return np.full(horizon, float(y[-1]))  # constant: every model says the same
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = FITS[name](y, horizon)
        except Exception:  # a fit that fails (singular, no convergence) is not a candidate
            return np.full(horizon, np.nan)
    return np.where(np.isfinite(out), out, np.nan)


def errors(actual: Sequence[float], predicted: Sequence[float]) -> Accuracy:
    """WAPE and MAPE of ``predicted`` against ``actual``."""
    a, p = np.asarray(actual, dtype=float), np.asarray(predicted, dtype=float)
    total = float(np.abs(a).sum())
    wape = float(np.abs(a - p).sum() / total) if total > 0 else None
    nz = a != 0
    mape = float(np.mean(np.abs((a[nz] - p[nz]) / a[nz]))) if nz.any() else None
    return Accuracy(wape, mape, len(a))


def forecast_series(history: Sequence[float], horizon: int,
                    methods: Sequence[str] = ("ets", "arima", "theta")) -> SeriesForecast:
    """The forecast of the ``horizon`` months after monthly series ``history`` (oldest first):
    backtest, choose, refit on the whole history, interval; see the module. On one BLAS
    thread: the fits are small, and threads fighting over a shared machine made a forecast of
    every team and rep three times slower (bench/results/ml.md). The result depends on the
    arguments alone, so the last :data:`KEPT_SERIES` are kept for the process's life: once the
    forecast has been trained (``salescore train``, or one request), a forecast of the same
    series on the same data is a look-up."""
    return _kept(tuple(float(v) for v in history), horizon, tuple(methods))


KEPT_SERIES = 20_000


@lru_cache(maxsize=KEPT_SERIES)
def _kept(history: tuple[float, ...], horizon: int, methods: tuple[str, ...]) -> SeriesForecast:
    with threadpool_limits(limits=1):
        return _forecast_series(history, horizon, methods)


def _forecast_series(history: Sequence[float], horizon: int,
                     methods: Sequence[str]) -> SeriesForecast:
    y = np.asarray(history, dtype=float)
    n = len(y)
    if n < MIN_MONTHS:
        name, point = baseline_forecast(list(y), horizon)
        return SeriesForecast(name, point, list(point), list(point), None, None, False, n, {})
    first = max(MIN_TRAIN, n - ORIGINS)
    names = ("baseline", *methods)
    actual: list[float] = []
    predicted: dict[str, list[float]] = {m: [] for m in names}
    steps: dict[str, list[int]] = {m: [] for m in names}
    for origin in range(first, n):
        ahead = min(horizon, n - origin)
        train = y[:origin]
        actual += list(y[origin:origin + ahead])
        for name in names:
            out = _fit(name, train, ahead)
            predicted[name] += list(out)
            steps[name] += list(range(ahead))
    scores: dict[str, Accuracy] = {}
    for name in names:
        p = np.asarray(predicted[name])
        if np.isnan(p).any():
            continue
        scores[name] = errors(actual, [float(v) for v in p])
    base = scores["baseline"]
    chosen = "baseline"
    for name in methods:
        got = scores.get(name)
        if got is None or got.wape is None or base.wape is None:
            continue
        best = scores[chosen].wape
        if best is not None and got.wape < best - 1e-12:
            chosen = name
    base_name = baseline_forecast(list(y), horizon)[0]
    fitted = _fit(chosen, y, horizon)
    if np.isnan(fitted).any():
        chosen, fitted = "baseline", _fit("baseline", y, horizon)
    point = [float(v) for v in np.clip(fitted, 0.0, None)]
    err = np.asarray(actual) - np.asarray(predicted[chosen])
    step = np.asarray(steps[chosen])
    pooled = float(np.sqrt(np.mean(err ** 2))) if len(err) else 0.0
    sigma = []
    for h in range(horizon):
        at = err[step == h]
        sigma.append(float(np.sqrt(np.mean(at ** 2))) if len(at) >= 3
                     else pooled * math.sqrt(h + 1))
    low = [max(0.0, p - Z80 * s) for p, s in zip(point, sigma, strict=True)]
    high = [p + Z80 * s for p, s in zip(point, sigma, strict=True)]
    named = {("baseline" if k == "baseline" else k): v for k, v in scores.items()}
    return SeriesForecast(base_name if chosen == "baseline" else chosen,
                          point, low, high, scores[chosen], base, True, n,
                          named)


def reconcile(points: np.ndarray, summing: np.ndarray) -> np.ndarray:
    """OLS reconciliation: the forecasts of every node (rows of ``points``: nodes, columns:
    months) made coherent with ``summing`` (nodes x bottom series: 1 where a bottom series
    adds into a node), so that every node is the sum of its bottom series. Bottom series are
    kept non-negative, then added up.

    >>> S = np.array([[1.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    >>> [round(float(v), 2) for v in reconcile(np.array([[10.0], [4.0], [4.0]]), S).ravel()]
    [9.33, 4.67, 4.67]
    """
    gram = summing.T @ summing
    bottom = np.linalg.solve(gram, summing.T @ points)
    bottom = np.clip(bottom, 0.0, None)
    return summing @ bottom
