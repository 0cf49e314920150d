"""Checks of the machine and of built images: `doctor` (probes and the pure verdicts on them) and
the tiered smoke checks of a runtime image."""
