# MM-Pick-a-back step 5 (any captioned data set): the target task trained with CPG on the
# selected backbone after the k/v transfer (load_from the transferred checkpoint): it picks the
# backbone's weights with piggyback masks, trains the free ones (including its transferred
# projection), grows the Perceiver IO (more heads and feed-forward units, half the base width
# per step, up to MM_MAX_WIDTH, default 2.0) while it misses its baseline goal, and is compacted
# as in step 2.
_base_ = ['./cpg_backbone.py']

custom_hooks = [dict(_base_.custom_hooks[0], mask_lr=1e-3,
                     max_width_multiplier={{'$MM_MAX_WIDTH:2.0'}}, width_step=0.5)]
