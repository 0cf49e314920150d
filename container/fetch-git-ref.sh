#!/usr/bin/env bash
# fetch-git-ref.sh URL REF DIR: check out one ref (branch, tag or commit) of URL into DIR, without
# history. Used by the wheel_builder RUNs of container/Dockerfile; a commit need not be on the
# default branch. Private hosts authenticate through git-credential-dynamo (BuildKit secrets).
set -euo pipefail
if [[ $# -ne 3 ]]; then
  echo "usage: fetch-git-ref.sh URL REF DIR" >&2
  exit 2
fi
url=$1 ref=$2 dir=$3
mkdir -p "$dir"
git -C "$dir" init -q
git -C "$dir" remote add origin "$url"
git -C "$dir" fetch -q --depth 1 origin "$ref"
git -C "$dir" checkout -q FETCH_HEAD
