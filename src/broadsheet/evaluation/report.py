"""What every benchmark and evaluation run records besides its figures: where it ran, and where
its JSON went."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["machine_info", "write_report"]


def machine_info() -> dict[str, Any]:
    """CPUs, Python, platform and the time of measurement: figures mean little without them."""
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def write_report(out: Path, report: Mapping[str, Any]) -> None:
    """Write ``report`` as indented JSON to ``out`` (creating its folder) and print it."""
    text = json.dumps(report, indent=2)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text + "\n", encoding="utf-8")
    print(text)
