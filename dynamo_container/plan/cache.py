"""The BuildKit cache of one build step: one base ref (or folder, scope) made into a ref of its own (pure).

A cache export replaces what was at its destination, so one `--cache-to type=registry,ref=R` given
to every step of every combination leaves only the last step's cache. Each caching step therefore
exports to and imports from its own entry named after the combination and the step:

    type=registry,ref=R            ->  ref=R:cache-<combination>-<step>   (mode=max and the rest kept)
    type=local,dest=DIR / src=DIR  ->  DIR/cache-<combination>-<step>
    type=gha|s3|azblob             ->  scope / name  <value or buildkit>-<combination>-<step>
    type=inline                    ->  unchanged (the cache travels in the image itself)

<combination> is `vllm-cuda12.9`, with `-arm64` for an arm64 build (each architecture's cache apart);
<step> is the step's name, with its stage when that differs (`base`, `framework-runtime`).

A `--cache-from` ref with a tag or digest names one image or cache and is read unchanged by every
step (e.g. an image pushed with inline cache); a `--cache-to` ref with one is refused in the resolve
layer (`resolve.build`), since every step would overwrite it.
"""

from __future__ import annotations

from dynamo_container.model.naming import split_ref
from dynamo_container.resolve.build import Cache

PREFIX = "cache"
# The key that names a cache entry, per type and direction (buildx's own defaults where absent).
_NAMING_KEY: dict[str, tuple[str, str]] = {  # type -> (key when exporting, key when importing)
    "registry": ("ref", "ref"),
    "local": ("dest", "src"),
    "gha": ("scope", "scope"),
    "s3": ("name", "name"),
    "azblob": ("name", "name"),
}
_DEFAULT_NAME = "buildkit"  # what gha, s3 and azblob call their entry when no scope/name is given


def fields(entry: str) -> list[tuple[str, str]]:
    """`type=registry,ref=R,mode=max` -> [(type, registry), (ref, R), (mode, max)]; a bare R: registry."""
    if "=" not in entry:
        return [("type", "registry"), ("ref", entry)]
    pairs = [part.partition("=")[::2] for part in entry.split(",") if part]
    if not any(k == "type" for k, _ in pairs):
        pairs.insert(0, ("type", "registry"))  # buildx's default type
    return pairs


def scope_name(combination: str, step: str, stage: str) -> str:
    """`vllm-cuda12.9` + `framework` + `runtime` -> `vllm-cuda12.9-framework-runtime` (a valid tag)."""
    parts = [combination, step] + ([stage] if stage and stage != step else [])
    return "-".join(parts)


def _own(entry: str, scope: str, *, export: bool) -> str:
    pairs = fields(entry)
    kind = dict(pairs)["type"].strip().lower() or "registry"
    if kind not in _NAMING_KEY:
        return entry  # inline: the image carries it
    key = _NAMING_KEY[kind][0 if export else 1]
    values = dict(pairs)
    if key not in values and kind in ("registry", "local"):
        return entry  # nothing to name (the grammar or buildx refuses it with its own message)
    old = values.get(key, _DEFAULT_NAME)
    if kind == "registry":
        repo, tag = split_ref(old)
        if tag or "@" in old:  # one named image or cache: read as it is (exports are refused earlier)
            return entry
        new = f"{repo}:{PREFIX}-{scope}"
    elif kind == "local":
        new = f"{old.rstrip('/')}/{PREFIX}-{scope}"
    else:
        new = f"{old}-{scope}"
    if key in values:
        return ",".join(f"{k}={new if k == key else v}" for k, v in pairs)
    return ",".join(f"{k}={v}" for k, v in [*pairs, (key, new)])


def step_cache(cache: Cache, scope: str) -> Cache:
    """The cache of the step named by `scope`: each entry pointed at the step's own ref, folder or scope."""
    return Cache(
        tuple(_own(e, scope, export=False) for e in cache.cache_from),
        tuple(_own(e, scope, export=True) for e in cache.cache_to),
        cache.no_cache,
    )
