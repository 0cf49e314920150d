"""Running plans: the one runner of steps, a build in the foreground, a matrix in threads, a
container, the checks before the first docker command, build keys that skip unchanged steps, log
folders, BuildKit's progress read, signals, and removing what the tool made (`clean`)."""
