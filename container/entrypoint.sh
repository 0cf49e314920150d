#!/usr/bin/env bash
# SPDX-FileCopyrightText: Copyright (c) 2024-2026 NVIDIA CORPORATION & AFFILIATES. All rights reserved.
# SPDX-License-Identifier: Apache-2.0
#
# Entrypoint of the Dynamo runtime, dev, local-dev and EFA images (/opt/dynamo/entrypoint.sh).
#
# umask 002 keeps files created in the container group-writable: the images run as user
# `dynamo` with primary group 0, so any UID the platform assigns (OpenShift) can share them.
# With no command it starts an interactive login shell, or prints a short notice when there
# is no terminal to talk to.

umask 002

if [ "$#" -eq 0 ]; then
    if [ -t 0 ]; then
        set -- /bin/bash -l
    else
        if [ -r /opt/dynamo/build-info.env ]; then
            echo "Dynamo image; build information:"
            sed 's/^/  /' /opt/dynamo/build-info.env
        fi
        echo "No command given. Run e.g.: docker run -it <image> bash, or pass the command to run."
        exit 0
    fi
fi

exec "$@"
