"""Real-time feedback (issue 14): events in (HTTP and NATS JetStream), alert rules and their
evaluation, notifications (group robots, e-mail, in-app) and reports (PDF, XLSX, HTML).

The parts that need no workspace session live here; :mod:`salescore.workspace.realtime` puts
them together for a session (``session.realtime``).
"""
