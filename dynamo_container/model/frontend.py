"""How a build is invoked: `docker buildx build` (optionally on a named builder) or `docker build`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Frontend:
    docker: str = "docker"
    buildx: bool = True
    builder: str = ""
    # False for builders that cannot read the engine's image store (docker-container, kubernetes and
    # remote drivers): an image a later step builds FROM must travel through a registry.
    shares_image_store: bool = True
    driver: str = "docker"
    # where the builder's BuildKit runs: its engine or daemon address ('' for the local engine)
    builder_host: str = ""
    # False for a docker-driver builder of another engine: its --load lands in that engine, so every
    # image it builds must be pushed to the registry to reach anyone else
    loads_here: bool = True

    def build_prefix(self, output: str | None = "load") -> tuple[str, ...]:
        """The command words up to the options; `output` (load or push) is buildx's image destination."""
        if self.buildx:
            builder = ("--builder", self.builder) if self.builder else ()
            return (self.docker, "buildx", "build", *builder, *((f"--{output}",) if output else ()))
        return (self.docker, "build")

    @property
    def env(self) -> tuple[tuple[str, str], ...]:
        return () if self.buildx else (("DOCKER_BUILDKIT", "1"),)
