"""MultiModalClassifier: a batch mixing image, text and paired samples, routed per modality."""
import numpy as np
import pytest
import torch
from mmpretrain.registry import MODELS

import mm_cl_addon  # noqa: F401  (registers the classifier, backbone, head and transforms)
from mm_cl_addon.datasets.captions import PackMultiModalInputs

TASK_CLASSES = [[0, 1], [2, 3], [4, 5]]  # image, text and paired tasks
MODALITY_OF_TASK = ['image', 'text', 'paired']
MAX_BYTES = 24


def model_cfg(kind='MultiModalClassifier'):
    return dict(
        type=kind,
        backbone=dict(type='PerceiverIOBackbone', modalities=['image', 'text'], image_size=(4, 4),
                      text_max_bytes=MAX_BYTES, text_dim=8, depth=1, num_latents=4,
                      latent_dim=16, latent_heads=2, cross_dim_head=8, latent_dim_head=8),
        head=dict(type='MultiTaskClsHead', task_classes=TASK_CLASSES, in_channels=16),
        data_preprocessor=dict(type='MultiModalClsDataPreprocessor', num_classes=6,
                               mean=[120.0, 110.0, 100.0], std=[60.0, 55.0, 50.0],
                               to_rgb=True))


def build(kind='MultiModalClassifier'):
    torch.manual_seed(0)
    model = MODELS.build(model_cfg(kind))
    model.init_weights()
    return model


def packed_sample(index, modality):
    """One PackMultiModalInputs output, ``task_id`` set as TaskSplitDataset does."""
    rng = np.random.default_rng(index)
    task_id = MODALITY_OF_TASK.index(modality)
    results = dict(gt_label=TASK_CLASSES[task_id][index % 2], modality=modality)
    if modality != 'text':
        results['img'] = rng.integers(0, 256, (4, 4, 3), dtype=np.uint8)
    if modality != 'image':
        results['text'] = f'sample {index}: ' + 'é' * (index % 5) + 'x' * index
    packed = PackMultiModalInputs(max_bytes=MAX_BYTES)(results)
    packed['data_samples'].set_metainfo(dict(task_id=task_id))
    return packed


def collate_mixed(samples):
    """Stack samples of any modalities: every key gets a row per sample, zeros where absent."""
    keys = {key for sample in samples for key in sample['inputs']}
    template = {'image': torch.zeros(3, 4, 4, dtype=torch.uint8),
                'text': torch.zeros(MAX_BYTES, dtype=torch.uint8),
                'text_length': torch.tensor(0, dtype=torch.int64)}
    inputs = {key: torch.stack([sample['inputs'].get(key, template[key]) for sample in samples])
              for key in sorted(keys)}
    return dict(inputs=inputs, data_samples=[sample['data_samples'] for sample in samples])


MIXED = ['text', 'image', 'paired', 'image', 'text', 'paired', 'text', 'image']


def preprocessed(model, samples):
    return model.data_preprocessor(collate_mixed(samples), training=False)


def test_a_mixed_batch_gives_each_sample_its_logits_alone():
    model = build().eval()
    samples = [packed_sample(index, modality) for index, modality in enumerate(MIXED)]
    data = preprocessed(model, samples)
    with torch.no_grad():
        mixed = model.head.routed_logits(model.extract_feat(**data), data['data_samples'])
        predictions = model(**data, mode='predict')
        for index, sample in enumerate(samples):
            alone = preprocessed(model, [sample])
            assert set(alone['inputs']) == ({'image'} if MIXED[index] == 'image' else
                                            {'text', 'text_length'} if MIXED[index] == 'text'
                                            else {'image', 'text', 'text_length'})
            logits = model.head.routed_logits(model.extract_feat(**alone),
                                              alone['data_samples'])[0]
            finite = torch.isfinite(logits)
            assert finite.sum() == 2  # the sample's own task head
            assert torch.equal(torch.isfinite(mixed[index]), finite)
            assert torch.allclose(mixed[index][finite], logits[finite], atol=1e-6, rtol=0)
            score = model(**alone, mode='predict')[0].pred_score
            assert torch.allclose(predictions[index].pred_score, score, atol=1e-6, rtol=0)


def test_modality_is_inferred_from_the_inputs_without_data_samples():
    model = build().eval()
    samples = [packed_sample(index, modality) for index, modality in enumerate(MIXED)]
    data = preprocessed(model, samples)
    for index, modality in enumerate(MIXED):
        if modality == 'text':  # a placeholder image is all zeros after preprocessing
            data['inputs']['image'][index] = 0
    with torch.no_grad():
        assert model.modalities(data['inputs']) == MIXED
        inferred = model.extract_feat(data['inputs'])  # mode='tensor' has no data samples
        routed = model.extract_feat(**data)
    assert torch.equal(inferred[0], routed[0])
    with pytest.raises(ValueError, match='neither an image nor a text'):
        data['inputs']['text_length'][0] = 0
        model.modalities(data['inputs'])


def test_loss_on_a_mixed_batch_reaches_both_projections():
    model = build().train()
    samples = [packed_sample(index, modality) for index, modality in enumerate(MIXED)]
    data = model.data_preprocessor(collate_mixed(samples), training=True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])
    losses['loss'].backward()
    kv = model.backbone.perceiver.cross_attend_block.cross_attn.fn.to_kv.linears
    assert kv['image'].weight.grad.abs().sum() > 0
    assert kv['text'].weight.grad.abs().sum() > 0
    assert all(head.weight.grad.abs().sum() > 0 for head in model.head.heads)


@pytest.mark.parametrize('modality', ['image', 'text', 'paired'])
def test_a_batch_of_one_modality_equals_image_classifier(modality):
    model, reference = build().eval(), build('ImageClassifier').eval()
    assert list(model.state_dict()) == list(reference.state_dict())  # checkpoints load both ways
    reference.load_state_dict(model.state_dict())
    samples = [packed_sample(index, modality) for index in range(5)]
    data = preprocessed(model, samples)
    with torch.no_grad():
        ours = model(**data, mode='predict')
        theirs = reference(**data, mode='predict')
        assert torch.equal(model(data['inputs'], mode='tensor'),
                           reference(data['inputs'], mode='tensor'))
    for mine, other in zip(ours, theirs):
        assert torch.equal(mine.pred_score, other.pred_score)


def test_a_sample_whose_modality_has_no_inputs_is_refused():
    model = build().eval()
    samples = [packed_sample(0, 'image'), packed_sample(1, 'image')]
    data = preprocessed(model, samples)
    data['data_samples'][1].set_metainfo(dict(modality='text'))
    with pytest.raises(KeyError, match="sample 1 is 'text'.*no 'text'"):
        model.extract_feat(**data)
    data['data_samples'][1].set_metainfo(dict(modality='audio'))
    with pytest.raises(ValueError, match="modality='audio'"):
        model.extract_feat(**data)
