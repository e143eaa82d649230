#!/usr/bin/env bash
# Train with GPUS processes on this node: tools/dist_train.sh CONFIG GPUS [train.py args...]
# NNODES, NODE_RANK, MASTER_ADDR, PORT and PYTHON as in dist_launch.sh; CPU-only machines work.
set -euo pipefail
if (( $# < 2 )); then
    echo "usage: $0 CONFIG GPUS [train.py args...]" >&2
    exit 2
fi
exec "$(dirname "$0")/dist_launch.sh" train.py "$2" "$1" "${@:3}"
