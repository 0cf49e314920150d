"""Quantities as people read them: sizes in the decimal units docker prints."""

from __future__ import annotations


def human_size(n: float) -> str:
    """Decimal units, as docker prints sizes: 185.3 kB, 1.2 GB."""
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"  # pragma: no cover
