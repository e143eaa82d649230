#!/usr/bin/env bash
# MM-Pick-a-back on a captioned data set: run_pipeline.sh with SUITE=cub (default), oxford102 or
# coco (baselines, CPG backbones, pruning ratios, ModelDiff selection, key/value transfer, CPG
# target). Configs: configs/mm_pickaback/*_perceiver_$SUITE.py.
# usage: tools/pickaback/run_mm_pipeline.sh WORK_DIR [TARGET [CANDIDATE ...]]
# Environment: SUITE (cub, oxford102 or coco; default cub); the data set's root: CUB_ROOT
#   (default data/CUB_200_2011), OXFORD102_ROOT (data/oxford102) or COCO_ROOT (data/coco);
#   MM_TASKS_FILE (a file whose `tasks` replace the config's); the configs' knobs MM_IMAGE_SIZE,
#   MM_DEPTH, MM_VAL_RATIO (CUB, COCO), MM_NUM_WORKERS, MM_TENSORBOARD, MM_SPARSITY_STAGES; and
#   those of run_pipeline.sh (EPOCHS, NUM_SAMPLES, MODELDIFF_STEPS, ALLOWED_ACC_LOSS, PYTHON).
#   docs/mm_pickaback.md lists them, with the settings of the fast end-to-end test.
set -euo pipefail
SUITE=${SUITE:-cub}
case $SUITE in
    cub|oxford102|coco) ;;
    *) echo "run_mm_pipeline.sh: SUITE='$SUITE' is not cub, oxford102 or coco" >&2; exit 2 ;;
esac
SUITE=$SUITE exec bash "$(dirname "$0")/run_pipeline.sh" "$@"
