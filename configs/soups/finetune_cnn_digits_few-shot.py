# A soup ingredient with little data: fine-tune the shared pre-trained model on the first 100
# upright training images only (about 10 per class), the same held-out and test splits.
# With the whole training split every ingredient reaches 98-99 % and a soup has nothing to
# add (docs/soups.md); here the ingredients differ more. Run the flow with
# CFG=configs/soups/finetune_cnn_digits_few-shot.py bash tools/soups/run_flow.sh DIR.
_base_ = ['./finetune_cnn_digits.py']

train_dataloader = dict(dataset=dict(indices=100))
