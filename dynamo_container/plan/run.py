"""The run planner: a resolved run request to the exact `docker run` command, in run.sh's order (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dynamo_container.resolve.run import RunRequest


@dataclass(frozen=True)
class RunPlan:
    argv: tuple[str, ...]
    image: str
    image_is_default: bool
    interactive: bool
    gpus: str  # "" when no GPUs are requested
    name: str
    env_by_name: tuple[str, ...]  # variables docker takes from its own environment (never printed)
    create_dirs: tuple[str, ...]  # host folders to create before running (the HF cache)
    ulimits: tuple[str, ...] = ()
    image_hint: str = ""
    warnings: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "argv": list(self.argv),
            "image": self.image,
            "interactive": self.interactive,
            "gpus": self.gpus,
            "env_by_name": list(self.env_by_name),
            "create_dirs": list(self.create_dirs),
            "warnings": list(self.warnings),
        }


def _terminal(req: RunRequest) -> list[str]:
    if req.interactive and req.tty:
        return ["-it"]
    if req.interactive:
        return ["-i"]
    return ["-t"] if req.tty else []


def _options(req: RunRequest) -> list[str]:
    argv = ["--gpus", req.gpus] if req.gpus else []
    argv += _terminal(req)
    argv += ["--rm"] if req.rm else []
    # docker's init as PID 1 passes Ctrl-C on to the command (a PID 1 without a handler ignores it),
    # so a stopped `invoke run` stops its container, which --rm then removes
    argv.append("--init")
    argv += ["--network", req.network]
    argv += ["--runtime", req.runtime] if req.runtime else []
    argv.append(f"--shm-size={req.shm_size}")
    argv += [w for limit in req.ulimits for w in ("--ulimit", limit)]
    argv += [w for e in req.envs for w in ("-e", e)]
    argv += ["--env-file", req.env_file] if req.env_file else []
    argv += [w for v in req.volumes for w in ("-v", v)]
    argv += [w for p in req.ports for w in ("-p", p)]
    return argv


def _privileges(req: RunRequest) -> list[str]:
    argv = ["-w", req.workdir, "--cap-add", "CAP_SYS_PTRACE"]
    argv += ["--cap-add=IPC_LOCK"] if req.nixl_gds else []
    argv += ["--ipc", "host"]
    argv += ["--privileged"] if req.privileged else []
    if req.user:
        argv += ["--user", req.user]
        argv += ["--group-add", "0"] if req.group_add_root else []
    argv += ["--name", req.name] if req.name else []
    argv += ["--entrypoint", req.entrypoint] if req.entrypoint else []
    return argv


def plan_run(req: RunRequest) -> RunPlan:
    """Everything `invoke run` passes to `docker run`."""
    # `--` ends docker's options: what follows is the image and the command, whatever they look like
    argv = (req.docker, "run", *_options(req), *_privileges(req), "--", req.image, *req.command)
    return RunPlan(
        argv=argv,
        image=req.image,
        image_is_default=req.image_is_default,
        interactive=req.interactive and req.tty,
        gpus=req.gpus,
        name=req.name,
        env_by_name=req.env_by_name,
        create_dirs=req.create_dirs,
        ulimits=req.ulimits,
        image_hint=req.image_hint,
        warnings=req.warnings,
    )
