"""What a command imports: only what it uses (issue 8, ``score show`` at least 5× faster).

Each check runs in a new Python process, as a person's command does, and looks at
``sys.modules`` when it is done: ``salescore --help`` loads none of the engine, the stores or
their libraries, and ``salescore score show`` nothing of importing, the demo or the analyses,
and of a stored score no query engine at all (its explanation records were kept when it was
scored) and no Arrow (they are read with the standard library).
No timing is asserted (the machine may be busy); ``bench/bench_explain.py`` measures.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import salescore.workspace
from salescore.cli.main import app

runner = CliRunner()
ENV = {"SALESCORE_WAREHOUSE_URL": None, "SALESCORE_APP_DB_URL": None, "SALESCORE_HOME": None}

# What loading the data or computing anything needs, and no command line help does (Pydantic
# is not among them: Typer itself uses it to read a command's options).
HEAVY = ("ibis", "sqlglot", "duckdb", "sqlalchemy", "alembic", "pandas", "pyarrow", "numpy",
         "openpyxl", "psycopg")
ENGINE = ("salescore.engine", "salescore.compile", "salescore.semantic", "salescore.scorecards",
          "salescore.appstore", "salescore.ingest", "salescore.demo", "salescore.analytics",
          "salescore.app")

# Runs ``salescore ARGS`` in this process and prints, as JSON, the modules then loaded and
# whether the app store's ORM mappers were configured (by a first ORM query).
CHILD = """
import json, sys
from salescore.cli.main import app
try:
    app(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
else:
    code = 0
models = sys.modules.get("salescore.appstore.models")
orm = None if models is None else models.Score.__mapper__.configured
print(json.dumps({"code": code, "modules": sorted(sys.modules), "orm": orm}))
"""


def _run(*args: str) -> dict[str, Any]:
    """What :data:`CHILD` printed for ``salescore ARGS`` run in a new process."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("SALESCORE_WAREHOUSE_URL", "SALESCORE_APP_DB_URL", "SALESCORE_HOME")}
    done = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, check=True,
                          capture_output=True, text=True)
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def _loaded(*args: str) -> tuple[int, set[str]]:
    """The exit code of ``salescore ARGS`` run in a new process, and the modules it loaded."""
    found = _run(*args)
    return int(found["code"] or 0), set(found["modules"])


def _under(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if m.split(".")[0] in packages
                  or any(m == p or m.startswith(p + ".") for p in packages))


def test_help_loads_no_engine_no_store_and_none_of_their_libraries() -> None:
    code, modules = _loaded("--help")
    assert code == 0
    assert "salescore.cli.score" in modules  # every command is registered
    assert _under(modules, HEAVY) == []
    assert _under(modules, ENGINE) == []


def test_a_commands_help_loads_none_of_them_either() -> None:
    code, modules = _loaded("score", "show", "--help")
    assert code == 0
    assert _under(modules, HEAVY + ENGINE) == []


def test_the_workspace_package_loads_a_name_when_it_is_first_asked_for() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import json, sys, salescore.workspace as w; "
         "before = sorted(sys.modules); w.SETTING_KEYS; after = sorted(sys.modules); "
         "w.Workspace; print(json.dumps([before, after, sorted(sys.modules)]))"],
        check=True, capture_output=True, text=True)
    before, after, opened = (set(x) for x in json.loads(done.stdout))
    assert _under(before, HEAVY + ENGINE) == []
    assert _under(after, HEAVY + ENGINE) == []  # the settings' keys are plain text
    assert "sqlalchemy" in opened  # the workspace class holds the app store
    assert _under(opened, ("ibis", "duckdb", "salescore.engine")) == []  # the warehouse: on use


def test_every_name_the_workspace_exports_is_there() -> None:
    names = salescore.workspace.__all__
    assert sorted(names) == sorted(salescore.workspace._WHERE)
    for name in names:
        assert getattr(salescore.workspace, name) is not None, name
    assert set(names) <= set(dir(salescore.workspace))
    with pytest.raises(AttributeError, match="no attribute 'Nothing'"):
        _ = salescore.workspace.Nothing  # type: ignore[attr-defined]


def test_score_show_loads_nothing_of_importing_the_demo_or_the_analyses(tmp_path: Path
                                                                         ) -> None:
    home = tmp_path / "demo"
    made = runner.invoke(app, ["demo", "--home", str(home)], env=ENV)
    assert made.exit_code == 0, made.output
    scored = runner.invoke(app, ["score", "--period", "2025-03", "--plan", "field-sales",
                                 "--home", str(home)], env=ENV)
    assert scored.exit_code == 0, scored.output
    with salescore.workspace.Workspace.open(home, read_only=True) as ws:
        rep = next(s.subject_id for s in ws.owner().scorecards.stored("2025-03")
                   if s.subject_kind == "rep" and s.score is not None)
    found = _run("score", "show", "--rep", rep, "--period", "2025-03", "--home", str(home))
    code, modules = int(found["code"] or 0), set(found["modules"])
    assert code == 0
    assert "salescore.scorecards.kept" in modules  # it explained the score from its records
    assert _under(modules, ("salescore.ingest", "salescore.demo", "salescore.analytics",
                            "salescore.app", "alembic", "openpyxl")) == []
    # the records were kept when the score was: no query, so no engine and no warehouse
    assert _under(modules, ("salescore.engine.explain", "salescore.compile", "ibis", "sqlglot",
                            "duckdb", "pandas")) == []
    # and they are read with the standard library: no Arrow, no NumPy
    assert "salescore.engine.explained" in modules
    assert _under(modules, ("pyarrow", "numpy")) == []
    # a reader of scores on SQLite loads no PostgreSQL dialect, and reads one score with Core:
    # the ORM's mappers are not configured
    assert _under(modules, ("sqlalchemy.dialects.postgresql", "psycopg")) == []
    assert found["orm"] is False
