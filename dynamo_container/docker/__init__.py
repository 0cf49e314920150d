"""The Docker engine and CLI as the tool sees them: whether the engine answers and what it has, the
build frontend (buildx or the classic builder), a few Engine API reads, the registries a build pulls
from and a failed pull told plainly."""
