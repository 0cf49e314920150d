"""What a build reads from disk: the Dynamo checkout and the Dockerfile family (where they are), its
git facts, the build context as BuildKit sends it (ignore rules, size), the Dockerfiles parsed and
the paths they read from the context."""
