"""dynamo-container: build-and-run tooling for NVIDIA Dynamo's container images."""
