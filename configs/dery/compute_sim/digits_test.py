# DeRy similarity data: the samples on which tools/dery/get_rep.py extracts every zoo model's
# block-boundary features (and count_inout_size.py probes the block shapes) before
# tools/dery/compute_sim.py compares them. The public DeRy code has one compute_sim config per
# zoo model (model + data); here the models come from the zoo manifest and this config gives
# only the data: the 360 test images of the embedded 8x8 digits (seed-0 split), normalised as
# the zoo was trained (configs/dery/zoo/_base_digits.py).
#   python tools/dery/get_rep.py configs/dery/zoo/zoo.yaml configs/dery/compute_sim/digits_test.py \
#       --out-dir work_dirs/dery_zoo/feat
custom_imports = dict(imports=['mm_cl_addon'], allow_failed_imports=False)

data_preprocessor = dict(num_classes=10, mean=[78.0], std=[96.0], to_rgb=False)
test_dataloader = dict(
    batch_size=128,
    num_workers=0,
    dataset=dict(type='DigitsDataset', split='test', seed=0,
                 pipeline=[dict(type='PackInputs')]))
