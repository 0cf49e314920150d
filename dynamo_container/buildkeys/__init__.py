"""Build keys: what decides a build step's result (its inputs, the environment that matters), the
records of what each key built, and why a step runs again; a step whose key is unchanged is skipped."""
