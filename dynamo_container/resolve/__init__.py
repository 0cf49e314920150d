"""The resolve layer: every setting validated once, turned into typed requests for the planners.

    settings -> config -> resolve -> plan -> execute -> report

Nothing below this layer reads the configuration: planners take a `BuildRequest`, `RunRequest` or
`WheelRequest`. Refusals are one line naming the value, where it came from and what to type instead.

Import from the submodules: the package itself stays empty, so a command imports only the
layers it uses.
"""
