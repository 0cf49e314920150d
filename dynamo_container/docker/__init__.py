"""The Docker engine and CLI as the tool finds them: whether the engine answers and what it holds,
which build frontend this machine has, a few Engine API reads, and a failed pull told plainly."""
