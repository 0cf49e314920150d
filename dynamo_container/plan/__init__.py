"""The planners: resolved requests to frozen plans of steps (docker invocations and host commands).

Pure: nothing here reads the configuration, the engine or git; a dry run prints exactly these steps.

Import from the submodules: the package itself stays empty, so a command imports only the
layers it uses.
"""
