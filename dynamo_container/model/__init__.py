"""The domain as data and rules, with no process or file touched: the catalog of frameworks x CUDA
versions, the pin ledger, the image tag scheme, image reference and value grammars, how a build is
invoked (the frontend), the version facts of a checkout, sizes as people read them, and which
values are credentials."""
