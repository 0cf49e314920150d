"""The dependency-resolution tier: what each framework x CUDA image installs with pip/uv, the
snapshot facts it reads, and the resolution of each install set by uv against PyPI."""
