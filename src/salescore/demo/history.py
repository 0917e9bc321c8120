"""The demo's ``opportunity_history``: each kept deal's amount, expected close date, stage and
status as of every change (E22, E23 of ``docs/demo.md``).

The opportunities table keeps a deal as it stands at the window end; its history replays how it
got there. A row is written at each stage the deal entered (the stage and status change), when
a deal's amount is quoted at proposal, and when a rep moves an expected close date that has
passed. The last row of every deal holds exactly the values of its opportunities row.

- E22 (amounts are estimated, then quoted): a deal that reaches proposal was opened with an
  estimate of ``amount × LN(0, 0.3)`` (rounded to the money unit) and takes its final amount
  when it enters proposal; a deal that never gets there keeps its first amount.
- E23 (close dates slip): 40 % of the deals were first expected to close 14–42 days before the
  date they show now; when that first date passed while the deal was still open, the rep moved
  it to today's date 0–7 days later (a deal that closed or was still not due at the window end
  did not slip).

Its own random stream (``(seed, 23, first id)``) leaves every other table as it was.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from salescore.demo import arrays
from salescore.demo.deals import LOST, STAGES, STATUSES, WON, Deals, money_unit
from salescore.demo.params import (
    DAY_S,
    ESTIMATE_SIGMA,
    SLIP_DAYS,
    SLIP_NOTICE_DAYS,
    SLIP_SHARE,
)
from salescore.demo.people import Org

__all__ = ["QUOTE_STAGE", "history_table"]

I64 = npt.NDArray[np.int64]

QUOTE_STAGE = STAGES.index("proposal")
STREAM_HISTORY = 23


def history_table(org: Org, deals: Deals, kept: I64, first_id: int) -> pa.Table:
    """The block's ``opportunity_history`` for the kept deals (ids count up from
    ``first_id``), ordered by deal and time."""
    n = len(kept)
    rng = np.random.default_rng([org.config.seed, STREAM_HISTORY, first_id])
    end = org.clock.end_utc
    entered = deals.o_entered[kept]
    reached = deals.o_reached[kept]
    final_cents = deals.o_cents[kept]
    final_day = deals.o_expected_day[kept]
    stops = deals.o_end(end)[kept]

    # E22: an estimate until the quote at proposal
    _, unit = money_unit(org)
    quoted = reached[:, QUOTE_STAGE]
    estimate = np.maximum(np.rint(final_cents / 100 / unit
                                  * np.exp(rng.normal(0.0, ESTIMATE_SIGMA, n))), 1)
    first_cents = np.where(quoted, estimate.astype(np.int64) * unit * 100, final_cents)
    quote_at = np.where(quoted, entered[:, QUOTE_STAGE], np.iinfo(np.int64).max)

    # E23: a first close date that passed while the deal was open, moved to the final one
    shift = rng.integers(SLIP_DAYS[0], SLIP_DAYS[1] + 1, n)
    first_day = final_day - shift
    push_at = ((first_day + 1) * DAY_S
               + rng.integers(SLIP_NOTICE_DAYS[0] * DAY_S, SLIP_NOTICE_DAYS[1] * DAY_S + 1, n))
    slipped = ((rng.random(n) < SLIP_SHARE) & (push_at > entered[:, 0]) & (push_at < stops)
               & (push_at < end))
    push_at = np.where(slipped, push_at, np.iinfo(np.int64).max)
    first_day = np.where(slipped, first_day, final_day)

    # one row per stage entry and per slip, at most one per deal and second
    row, stage = np.nonzero(reached)
    t = entered[row, stage]
    slip_rows = np.flatnonzero(slipped)
    deal = np.concatenate([row, slip_rows]).astype(np.int64)
    t = np.concatenate([t, push_at[slip_rows]]).astype(np.int64)
    order = np.lexsort((t, deal))
    deal, t = deal[order], t[order]
    last = np.ones(len(deal), dtype=bool)
    last[:-1] = (deal[1:] != deal[:-1]) | (t[1:] != t[:-1])
    deal, t = deal[last], t[last]

    # the state at each row's time: the last stage entered by then, and what had changed
    stage_now = (np.where(reached[deal], entered[deal] <= t[:, None], False)
                 * (np.arange(reached.shape[1]) + 1)[None, :]).max(axis=1) - 1
    status = np.where(stage_now == WON, 1, np.where(stage_now == LOST, 2, 0))
    cents = np.where(t >= quote_at[deal], final_cents[deal], first_cents[deal])
    day = np.where(t < push_at[deal], first_day[deal], final_day[deal])
    return arrays.build("opportunity_history", {
        "opportunity_id": arrays.ids("O", deal + first_id, 8),
        "valid_from": arrays.timestamps(t),
        "stage": arrays.pick(STAGES, stage_now.astype(np.int64)),
        "status": arrays.pick(STATUSES, status.astype(np.int64)),
        "amount": arrays.money(cents),
        "currency": arrays.constant(org.words.currency, len(deal)),
        "expected_close_date": arrays.dates(day),
    })
