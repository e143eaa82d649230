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


def test_width_multiplier_one_is_perceiver_io_as_built_by_perceiver_pytorch():
    from perceiver_pytorch import PerceiverIO
    backbone = _backbone(width_multiplier=1.0)
    bare = PerceiverIO(depth=1, dim=backbone.token_dim, queries_dim=16, num_latents=4,
                       latent_dim=16, cross_heads=1, latent_heads=2, cross_dim_head=8,
                       latent_dim_head=8).state_dict()
    ours = {key: value for key, value in backbone.perceiver.state_dict().items()
            if '.norms.' not in key and '.linears.' not in key}  # the per-modality swaps
    routed = 'cross_attend_block.cross_attn.'
    assert sorted(ours) == sorted(k for k in bare if k not in (
        f'{routed}norm_context.weight', f'{routed}norm_context.bias', f'{routed}fn.to_kv.weight'))
    assert all(ours[key].shape == bare[key].shape for key in ours)
    assert list(_backbone().state_dict()) == list(backbone.state_dict())


def test_width_multiplier_widens_heads_and_feed_forwards_only():
    from mm_cl_addon.models.backbones.perceiver_io import scaled_width
    assert [scaled_width(1, 1.5), scaled_width(2, 1.25), scaled_width(5, 1.5),
            scaled_width(3, 0.1)] == [2, 3, 8, 1]  # half up (Python's round(2.5) is 2)
    plain, wide = _backbone().state_dict(), _backbone(width_multiplier=1.5)
    assert list(wide.state_dict()) == list(plain)
    changed = {key: tuple(value.shape) for key, value in wide.state_dict().items()
               if value.shape != plain[key].shape}
    cross, latent, ff = 'perceiver.cross_attend_block.cross_attn.fn', \
        'perceiver.layers.0.self_attns.0.0.fn', 'perceiver.cross_attend_block.cross_ff.fn.net'
    # cross heads 1 -> 2 and latent heads 2 -> 3 of 8 dims; GEGLU hidden 64 -> 96
    assert changed[f'{cross}.to_q.weight'] == (16, 16)
    assert changed[f'{cross}.to_kv.linears.image.weight'] == (32, 21)
    assert changed[f'{cross}.to_out.weight'] == (16, 16)
    assert changed[f'{latent}.to_kv.weight'] == (48, 16)
    assert changed['perceiver.decoder_cross_attn.fn.to_kv.weight'] == (32, 16)
    assert changed[f'{ff}.0.weight'] == (192, 16) and changed[f'{ff}.0.bias'] == (192,)
    assert changed[f'{ff}.2.weight'] == (16, 96)
    assert len(changed) == 16 and not any('norm' in key for key in changed)
    assert wide.out_channels == [16]
    image, text, mask = _batch()
    assert wide(image)[0].shape == wide({'text': text, 'text_mask': mask})[0].shape == (2, 16)
    with pytest.raises(ValueError, match='width_multiplier'):
        _backbone(width_multiplier=0)


def test_growth_chunks_name_every_key_value_projection_and_geglu_input():
    chunks = _backbone().growth_chunks()
    assert set(chunks.values()) == {(0, 2)}
    assert sorted(chunks) == sorted([
        'perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.image',
        'perceiver.cross_attend_block.cross_attn.fn.to_kv.linears.text',
        'perceiver.cross_attend_block.cross_ff.fn.net.0',
        'perceiver.layers.0.self_attns.0.0.fn.to_kv',
        'perceiver.layers.0.self_attns.0.1.fn.net.0',
        'perceiver.decoder_cross_attn.fn.to_kv'])
