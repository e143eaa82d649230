#!/usr/bin/env bash
# torchrun one of tools/*.py on this node: tools/dist_launch.sh SCRIPT NPROC [script args...]
# Used by dist_train.sh and dist_test.sh. More nodes: set NNODES, NODE_RANK, MASTER_ADDR and
# PORT on each. Without CUDA the processes run on the CPU over gloo
# (mm_cl_addon.compat.distributed).
set -euo pipefail
source "$(dirname "$0")/python_env.sh"

exec "$PYTHON" -m torch.distributed.run \
    --nnodes="${NNODES:-1}" \
    --node_rank="${NODE_RANK:-0}" \
    --master_addr="${MASTER_ADDR:-127.0.0.1}" \
    --nproc_per_node="$2" \
    --master_port="${PORT:-29500}" \
    "$TOOLS_DIR/$1" "${@:3}" --launcher pytorch
