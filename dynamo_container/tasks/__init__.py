"""The invoke glue: one module per task family. Each parses flags into a Config, calls the library
and prints or executes; the library never imports this package."""

MODULES = ("build", "config", "context", "doctor", "lint", "receipts", "run", "sccache", "smoke", "trtllm")
