#!/usr/bin/env bash
# MM-Pick-a-back on CUB-200-2011 with captions: run_pipeline.sh with SUITE=cub (baselines, CPG
# backbones, pruning ratios, ModelDiff selection, key/value transfer, CPG target).
# usage: tools/pickaback/run_mm_pipeline.sh WORK_DIR [TARGET [CANDIDATE ...]]
# Environment: CUB_ROOT (default data/CUB_200_2011), MM_TASKS_FILE, MM_IMAGE_SIZE, MM_DEPTH and
# those of run_pipeline.sh.
SUITE=cub exec bash "$(dirname "$0")/run_pipeline.sh" "$@"
