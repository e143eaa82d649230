"""PerceiverIOBackbone: image, text and paired inputs; per-modality key/value routing."""
import pytest
import torch
from mmpretrain.registry import MODELS

from mm_cl_addon.models.backbones.perceiver_io import fourier_position_features
from mm_cl_addon.models.layers.owner_masks import maskable_modules

CFG = dict(type='PerceiverIOBackbone', image_size=(4, 4), image_channels=3, text_max_bytes=12,
           text_dim=8, depth=1, num_latents=4, latent_dim=16, latent_heads=2,
           cross_dim_head=8, latent_dim_head=8)


def _backbone(**kwargs):
    torch.manual_seed(0)
    return MODELS.build(dict(CFG, **kwargs)).eval()


def _batch():
    torch.manual_seed(1)
    text = torch.randint(0, 256, (2, 12))
    mask = torch.ones(2, 12, dtype=torch.bool)
    mask[1, 7:] = False
    return torch.randn(2, 3, 4, 4), text, mask


def test_image_text_and_paired_batches_give_one_feature_per_sample():
    backbone = _backbone()
    image, text, mask = _batch()
    for inputs in (image, {'text': text, 'text_mask': mask},
                   {'image': image, 'text': text, 'text_mask': mask}):
        (feature,) = backbone(inputs)
        assert feature.shape == (2, 16) and torch.isfinite(feature).all()
    assert backbone._modality_index.spans is None  # cleared after every forward
    assert _backbone(output='mean')(image)[0].shape == (2, 16)


def test_masked_bytes_are_ignored_and_modalities_have_their_own_projection():
    backbone = _backbone()
    image, text, mask = _batch()
    with torch.no_grad():
        text_out = backbone({'text': text, 'text_mask': mask})[0]
        changed = text.clone()
        changed[1, 7:] = (changed[1, 7:] + 1) % 256  # behind the mask
        assert torch.allclose(backbone({'text': changed, 'text_mask': mask})[0], text_out)
        lengths = mask.sum(1)  # PackMultiModalInputs' layout gives the same mask
        assert torch.equal(backbone({'text': text, 'text_length': lengths})[0], text_out)
        image_out = backbone(image)[0]
        kv = backbone.perceiver.cross_attend_block.cross_attn.fn.to_kv.linears
        kv['text'].weight.add_(1.0)
        assert torch.equal(backbone(image)[0], image_out)  # images never use the text's
        assert not torch.allclose(backbone({'text': text, 'text_mask': mask})[0], text_out)


def test_every_linear_is_maskable_and_the_projection_is_per_modality():
    names = list(maskable_modules(_backbone()))
    assert 'perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.image' in names
    assert 'perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.text' in names
    linears = [n for n, m in _backbone().named_modules() if isinstance(m, torch.nn.Linear)]
    assert sorted(names) == sorted(linears)


def test_position_features_and_errors():
    features = fourier_position_features(2, 3, num_bands=2, max_freq=4.0)
    assert features.shape == (6, 2 * (2 * 2 + 1))
    assert features[0, -1].item() == -1.0 and features[-1, -1].item() == 1.0  # raw coordinate
    with pytest.raises(ValueError, match='modalities'):
        _backbone(modalities=['audio'])
    with pytest.raises(ValueError, match='5x5'):
        _backbone()(torch.randn(1, 3, 5, 5))
    with pytest.raises(ValueError, match='text_max_bytes'):
        _backbone()({'text': torch.zeros(1, 13, dtype=torch.long)})
