# The network DeRy chose for the digits in docs/dery_walkthrough.md (NASWOT, --max-params 60000,
# K=3): vit_deep's stem and first block, then vit_small's second and third blocks, with a
# Linear 48 -> 32 stitch between them; a linear head on vit_small's class token. It is the
# rank1.py that tools/dery/zeroshot_reassembly.py emitted, with the zoo manifest of the
# repository (configs/dery/zoo/zoo.yaml: checkpoints under work_dirs/dery_zoo/, written by
# tools/dery/run_digits_pipeline.sh work_dirs/dery_zoo or by training configs/dery/zoo/*.py).
#   python tools/train.py configs/dery/digits_reassembled_rank1.py            # frozen blocks
#   ... --cfg-options model.backbone.freeze_blocks=False                      # end to end
_base_ = ['./zoo/_base_digits.py']

zoo = '{{ fileDirname }}/zoo/zoo.yaml'  # --cfg-options model.backbone.zoo=<manifest>
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='DeRy',
        zoo=zoo,
        blocks=[['vit_deep', 0, 1], ['vit_small', 1, 2], ['vit_small', 2, 3]],
        stem='source',
        freeze_blocks=True,
        input_size=[1, 8, 8]),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=32,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
