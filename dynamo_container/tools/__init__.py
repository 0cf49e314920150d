"""Tools the builds use beside docker: sccache on the host (install and statistics) and the linters
of the Dockerfiles and shell code."""
