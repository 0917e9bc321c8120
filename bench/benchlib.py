"""What the bench scripts share: the machine they ran on, and per-scale sections in a results file.

Scripts run as ``python bench/bench_x.py``, so this folder is on ``sys.path``.
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from pathlib import Path

SCALES = ("small", "medium", "large")
ROOT = Path(__file__).resolve().parents[1]


def _proc_value(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def code_version(root: Path = ROOT) -> str:
    """The commit the measured code is at (short), with ``+ uncommitted changes`` when ``src``
    differs from it: a result names the code it measured, which may later change or go."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True,
                              check=True, timeout=30).stdout.strip()
    try:
        commit = git("rev-parse", "--short", "HEAD")
        dirty = bool(git("status", "--porcelain", "--", "src"))
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return commit + (" + uncommitted changes" if dirty else "")


def machine(versions: dict[str, str]) -> dict[str, str]:
    """CPU model, cores, RAM, OS and Python, then ``versions`` (label → version text), then the
    code's commit."""
    mem_kib = _proc_value("/proc/meminfo", "MemTotal")
    ram = f"{int(mem_kib.split()[0]) / 1024 / 1024:.1f} GiB" if mem_kib else "unknown"
    return {
        "CPU": _proc_value("/proc/cpuinfo", "model name") or platform.processor() or "unknown",
        "cores": str(os.cpu_count()),
        "RAM": ram,
        "OS": platform.platform(),
        "Python": platform.python_version(),
        **versions,
        "code": code_version(),
    }


def update_section(results: Path, header: str, scale: str, section: str) -> None:
    """Put ``section`` (wrapped in ``<!-- scale:S -->`` markers) into ``results``, replacing the
    scale's previous one and keeping the sections in scale order."""
    text = results.read_text(encoding="utf-8") if results.exists() else header
    pattern = re.compile(rf"<!-- scale:{scale} -->.*?<!-- /scale:{scale} -->\n?", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    parts = {s: m.group(0) for s in SCALES
             if (m := re.search(rf"<!-- scale:{s} -->.*?<!-- /scale:{s} -->\n?", text, re.S))}
    head = re.split(r"<!-- scale:", text, maxsplit=1)[0].rstrip("\n")
    body = "\n".join(parts[s].rstrip("\n") + "\n" for s in SCALES if s in parts)
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(head + "\n\n" + body, encoding="utf-8")
