#!/bin/sh
# record-build-info.sh STAGE NAME...
# Appends "STAGE=<stage>" and one "NAME=value" line per named build ARG (read from the RUN's
# environment; unset -> empty) to /opt/dynamo/build-info.env, the record the smoke checks compare
# with the plan. Bind-mounted from the `tooling` build context, so it leaves no file in a layer.
# Only ever pass the names of non-secret build args.
set -eu
stage=$1; shift
mkdir -p /opt/dynamo
{
  echo "STAGE=$stage"
  for n in "$@"; do
    case "$n" in ''|*[!A-Za-z0-9_]*|[0-9]*) echo "record-build-info: bad name '$n'" >&2; exit 2 ;; esac
    v=
    eval "v=\${$n-}"
    printf '%s=%s\n' "$n" "$v"
  done
} >> /opt/dynamo/build-info.env
