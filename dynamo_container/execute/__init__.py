"""Running plans: the one runner of steps, a build in the foreground, a matrix in threads, a
container, the checks before the first docker command, log folders, BuildKit's progress read,
signals, the receipt of each real build, and removing what the tool made (`clean`)."""
