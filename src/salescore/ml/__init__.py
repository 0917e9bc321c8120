"""Forecasts, predictions and recommendations (issue 12).

Every model here reads the warehouse through a :class:`~salescore.engine.runner.Runner` (the
engine executes; nothing here connects), sees only what was recorded before its cut-off
(:mod:`salescore.ml.history`), reports its accuracy against a simple baseline, and says
"not enough data" and shows that baseline where the history is too thin.

- :mod:`salescore.ml.forecast`: statistical forecasts per series (statsmodels ETS, ARIMA,
  Theta) chosen by rolling-origin backtest against seasonal naive, with intervals, and the
  reconciliation that makes reps add up to their teams.
- :mod:`salescore.ml.win`: the win probability of open opportunities (scikit-learn gradient
  boosting, calibrated), with its reasons.
- :mod:`salescore.ml.attainment`: each rep's expected attainment at period end and the at-risk
  flag.
- :mod:`salescore.ml.actions`: next best actions per rep.
- :mod:`salescore.ml.service`: the one object a session hands out (``session.ml``).
"""
