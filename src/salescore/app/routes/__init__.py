"""The API's routes, one module per resource; :data:`API_ROUTERS` is what ``/api/v1`` holds."""

from __future__ import annotations

from salescore.app.routes import (
    alerts,
    audit,
    coaching,
    events,
    imports,
    kpis,
    me,
    ml,
    needs_action,
    org,
    plans,
    quality,
    reports,
    scores,
    targets,
    users,
)
from salescore.app.routes import analytics as analytics_routes

API_ROUTERS = (me.router, kpis.router, scores.router, plans.router, targets.router,
               org.router, quality.router, imports.router, users.router, audit.router,
               analytics_routes.router, needs_action.router, coaching.router, events.router,
               alerts.router, reports.router, ml.router)

__all__ = ["API_ROUTERS"]
