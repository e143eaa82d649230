#!/usr/bin/env bash
# GPU smoke: three configs with --amp (AmpOptimWrapper) and one two-process CUDA DDP run
# (tools/dist_train.sh, nccl). On a machine without CUDA it says so and exits 0, so that
# `make bench` can always call it; the report then says the GPU paths were not run.
# usage: bash benchmarks/gpu_smoke.sh [OUT_DIR]
set -euo pipefail
source "$(dirname "$0")/../tools/python_env.sh"  # PYTHON, REPO, run_logged
OUT=${1:-work_dirs/bench/gpu_smoke}
cd "$REPO"
GPUS=$("$PYTHON" -c 'import torch; print(torch.cuda.device_count() if torch.cuda.is_available() else 0)')
if [[ $GPUS -eq 0 ]]; then
    echo "gpu_smoke: CUDA is not available on this machine: the AMP and CUDA DDP paths were not run"
    exit 0
fi
SHORT=(--cfg-options train_cfg.epochs_per_task=1)
for config in configs/continual/finetune_cnn_split-digits.py \
              configs/masked_kd/masked-kd_cnn_split-digits.py \
              configs/memory_head/er_cnn_split-digits.py; do
    name=$(basename "$config" .py)
    SECONDS=0
    run_logged "$OUT/amp_$name.log" "$PYTHON" tools/train.py "$config" --amp \
        --work-dir "$OUT/amp_$name" "${SHORT[@]}"
    echo "amp $name: ok in ${SECONDS}s ($(grep -o 'Final scores: .*' "$OUT/amp_$name.log" | head -n 1))"
done
if [[ $GPUS -ge 2 ]]; then
    SECONDS=0
    run_logged "$OUT/ddp.log" bash tools/dist_train.sh \
        configs/continual/finetune_cnn_split-digits.py 2 --work-dir "$OUT/ddp" "${SHORT[@]}"
    echo "ddp (2 processes, nccl): ok in ${SECONDS}s"
else
    echo "gpu_smoke: one GPU only: the two-process CUDA DDP run was not run"
fi
