"""Checks of the machine and of built images: `doctor` (probes, the registries a build pulls from,
and the pure verdicts on them) and the tiered smoke checks of a runtime image."""
