"""DeRy backbone: exact cuts, adapters in a chain, freezing, errors and a training run.

The cutting itself is tested in tests/reassembly/test_cutting.py, the adapters in
tests/models/layers/test_stitching.py.
"""
import json

import pytest
import timm
import torch
from mmpretrain.registry import MODELS
from torch import nn

from mm_cl_addon.compat.checkpoint import load_checkpoint
from mm_cl_addon.models import SmallConvNet
from mm_cl_addon.models.backbones.dery import DeRy
from mm_cl_addon.reassembly.layout import Layout
from tests.e2e.helpers import REPO, train

RESNET = dict(name='resnet', library='timm', arch='resnet10t', kwargs=dict(num_classes=0))
VIT_KWARGS = dict(img_size=32, patch_size=4, depth=4, embed_dim=48, num_heads=3, num_classes=0)
VIT = dict(name='vit', library='timm', arch='vit_tiny_patch16_224', kwargs=VIT_KWARGS)
SMALL = dict(name='small', library='mm_cl_addon', arch='SmallConvNet',
             kwargs=dict(in_channels=3, widths=[16, 32]))


def _saved(tmp_path, entry: dict, model: nn.Module) -> dict:
    """The zoo entry with ``model``'s weights as its checkpoint (BN statistics made non-trivial)."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.running_mean.uniform_(-0.5, 0.5)
                module.running_var.uniform_(0.5, 2.0)
    path = tmp_path / f'{entry["name"]}.pth'
    torch.save(model.state_dict(), path)
    return dict(entry, checkpoint=str(path))


RESNET_LOGITS = dict(RESNET, kwargs=dict(num_classes=10))
VIT_LOGITS = dict(VIT, kwargs=dict(VIT_KWARGS, num_classes=10))


@pytest.mark.parametrize('entry, cutter, nodes', [
    (RESNET_LOGITS, 'fx', (0, 1, 3, 4)), (RESNET_LOGITS, 'sequential', (0, 1, 3, 4)),
    (VIT_LOGITS, 'fx', (0, 1, 2, 4))], ids=['resnet-fx', 'resnet-sequential', 'vit-fx'])
def test_model_cut_into_k_blocks_and_chained_reproduces_its_outputs_exactly(tmp_path, entry,
                                                                            cutter, nodes):
    """K=3 parts of one timm model, its own stem, identity stitches: the model's logits, bit
    for bit (eval mode, BatchNorm running statistics from the checkpoint)."""
    torch.manual_seed(0)
    source = timm.create_model(entry['arch'], **entry['kwargs'])
    zoo = dict(models=[_saved(tmp_path, entry, source)])
    blocks = [[entry['name'], s, e] for s, e in zip(nodes[:-1], nodes[1:])]
    dery = DeRy(blocks, zoo, stem='source', input_size=(3, 32, 32), cutter=cutter).eval()
    assert dery.cut_methods == [cutter] * 3
    assert all(isinstance(s, nn.Identity) for s in dery.stitches)
    x = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        (features,) = dery(x)
        source.eval()
        # DeRy ends before pooling (CNN map) or at the class token (ViT); the model's own
        # pooling and classifier finish both.
        logits = source.forward_head(features) if features.dim() == 4 else source.head(features)
        expected = source(x)
    assert logits.shape == (3, 10)
    assert torch.equal(logits, expected)


def test_vit_output_is_the_class_token_after_the_final_norm(tmp_path):
    torch.manual_seed(0)
    source = timm.create_model('vit_tiny_patch16_224', **VIT_KWARGS)
    zoo = dict(models=[_saved(tmp_path, VIT, source)])
    dery = DeRy([['vit', 0, 1], ['vit', 1, 2], ['vit', 2, 4]], zoo, stem='source',
                input_size=(3, 32, 32)).eval()
    assert dery.out_layout == Layout('vit', 48, (8, 8), prefix=1)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        (features,) = dery(x)
        expected = source.eval().forward_head(source.forward_features(x), pre_logits=True)
    assert features.shape == (2, 48)
    assert torch.equal(features, expected)


def test_a_parts_weights_element_picks_its_checkpoint(tmp_path):
    """[model, start, end, weights]: the manifest's checkpoint ('zoo' or absent), another
    checkpoint (relative to the manifest's folder) or none ('random')."""
    torch.manual_seed(0)
    trained, other = (SmallConvNet(in_channels=3, widths=(16, 32)) for _ in range(2))
    torch.save(trained.state_dict(), tmp_path / 'trained.pth')
    torch.save(other.state_dict(), tmp_path / 'other.pth')
    (tmp_path / 'zoo.json').write_text(json.dumps(dict(models=[dict(SMALL,
                                                                   checkpoint='trained.pth')])))
    torch.manual_seed(1)
    dery = DeRy([['small', 0, 1, 'other.pth'], ['small', 1, 2, 'random']],
                str(tmp_path / 'zoo.json'), input_size=(3, 8, 8))
    first, second = (part.state_dict() for part in dery.parts)
    assert torch.equal(first['model.stages.0.0.weight'], other.stages[0][0].weight)
    assert not torch.equal(second['model.stages.1.0.weight'], trained.stages[1][0].weight)
    assert not torch.equal(second['model.stages.1.0.weight'], other.stages[1][0].weight)
    assert dery.checkpoints == [str(tmp_path / 'other.pth'), None]
    for spec in (['small', 1, 2, 'zoo'], ['small', 1, 2, None], ['small', 1, 2]):
        part = DeRy([spec], str(tmp_path / 'zoo.json'), input_size=(3, 8, 8)).parts[0]
        assert torch.equal(part.state_dict()['model.stages.1.0.weight'],
                           trained.stages[1][0].weight)
    with pytest.raises(FileNotFoundError, match=r"blocks\[0\].*missing\.pth"):
        DeRy([['small', 0, 1, 'missing.pth']], str(tmp_path / 'zoo.json'), input_size=(3, 8, 8))
    with pytest.raises(ValueError, match=r"blocks\[0\] = \['small', 0, 1, 3\]"):
        DeRy([['small', 0, 1, 3]], str(tmp_path / 'zoo.json'), input_size=(3, 8, 8))


def test_mixed_chain_uses_each_adapter_kind():
    dery = DeRy([['resnet', 0, 2], ['vit', 1, 3], ['resnet', 3, 4]],
                dict(models=[RESNET, VIT]), input_size=(3, 32, 32))
    kinds = [(s.source.kind, s.target.kind) for s in dery.stitches[1:]]
    assert kinds == [('cnn', 'vit'), ('vit', 'cnn')]
    assert dery(torch.randn(2, 3, 32, 32))[0].shape == (2, 512, 1, 1)


def test_frozen_parts_keep_weights_and_bn_statistics_through_a_training_step():
    torch.manual_seed(0)
    dery = DeRy([['resnet', 0, 2], ['small', 1, 2]], dict(models=[RESNET, SMALL]),
                input_size=(3, 32, 32), freeze_blocks=True).train()
    stitch = dery.stitches[1]
    assert isinstance(stitch.proj[1], nn.BatchNorm2d) and stitch.proj[1].training
    frozen = {k: v.clone() for k, v in dery.state_dict().items() if not k.startswith('stitches')}
    stitch_before = {k: v.clone() for k, v in stitch.state_dict().items()}
    optimizer = torch.optim.SGD([p for p in dery.parameters() if p.requires_grad], lr=0.1)
    dery(torch.randn(4, 3, 32, 32))[0].pow(2).mean().backward()
    optimizer.step()
    assert all(torch.equal(v, dery.state_dict()[k]) for k, v in frozen.items())
    assert any(not torch.equal(v, stitch.state_dict()[k]) for k, v in stitch_before.items())
    assert not any(m.training for p in dery.parts for m in p.modules()
                   if isinstance(m, nn.BatchNorm2d))


def test_fresh_stem_is_reinitialised_and_trainable():
    zoo = dict(models=[VIT])
    source = DeRy([['vit', 0, 4]], zoo, input_size=(3, 32, 32), stem='source')
    torch.manual_seed(1)
    fresh = DeRy([['vit', 0, 4]], zoo, input_size=(3, 32, 32), stem='fresh')
    assert all(p.requires_grad for p in fresh.stem.parameters())
    assert not any(p.requires_grad for p in source.stem.parameters())
    assert source.stem.state_dict().keys() == fresh.stem.state_dict().keys()
    assert not torch.equal(source.stem.state_dict()['model.pos_embed'],
                           fresh.stem.state_dict()['model.pos_embed'])


def test_bad_specs_and_zoo_entries_are_named(tmp_path):
    zoo = dict(models=[SMALL])
    with pytest.raises(ValueError, match=r"blocks\[0\].*\['small', 0\]"):
        DeRy([['small', 0]], zoo, input_size=(3, 8, 8))
    with pytest.raises(ValueError, match=r"zoo model 'small'.*\(1, 3\]"):
        DeRy([['small', 1, 3]], zoo, input_size=(3, 8, 8))
    with pytest.raises(ValueError, match='library must be one of'):
        DeRy([['small', 0, 1]], dict(models=[dict(SMALL, library='keras')]))
    with pytest.raises(FileNotFoundError, match='zoo manifest'):
        DeRy([['small', 0, 1]], str(tmp_path / 'missing.yaml'))


@pytest.mark.e2e
def test_dery_digits_config_trains_with_zoo_checkpoints(tmp_path):
    torch.manual_seed(0)
    cnn = SmallConvNet(in_channels=1, widths=(16, 32))
    vit = timm.create_model('vit_tiny_patch16_224', img_size=8, patch_size=2, in_chans=1,
                            embed_dim=32, depth=2, num_heads=2, num_classes=0)
    torch.save(cnn.state_dict(), tmp_path / 'cnn.pth')
    torch.save({'state_dict': vit.state_dict()}, tmp_path / 'vit.pth')
    manifest = {'models': [
        dict(name='cnn', library='mm_cl_addon', arch='SmallConvNet', checkpoint='cnn.pth',
             kwargs=dict(in_channels=1, widths=[16, 32])),
        dict(name='vit', library='timm', arch='vit_tiny_patch16_224', checkpoint='vit.pth',
             kwargs=dict(img_size=8, patch_size=2, in_chans=1, embed_dim=32, depth=2,
                         num_heads=2, num_classes=0))]}
    (tmp_path / 'zoo.json').write_text(json.dumps(manifest))
    work_dir = tmp_path / 'work'
    train(REPO / 'configs' / 'dery' / 'dery_digits_example.py', work_dir, '--cfg-options',
          f'model.backbone.zoo={tmp_path / "zoo.json"}', 'model.backbone.freeze_blocks=True',
          'train_cfg.max_iters=2', 'train_cfg.val_interval=2')
    state = load_checkpoint(work_dir / 'iter_2.pth')['state_dict']
    # The frozen parts hold the zoo checkpoints' weights after training.
    assert torch.equal(state['backbone.parts.0.model.stages.0.0.weight'],
                       cnn.stages[0][0].weight)
    assert torch.equal(state['backbone.parts.1.model.blocks.1.attn.qkv.weight'],
                       vit.blocks[1].attn.qkv.weight)


def test_mmpretrain_vit_cut_keeps_its_final_norm_before_the_class_token():
    torch.manual_seed(0)
    kwargs = dict(arch=dict(embed_dims=48, num_layers=4, num_heads=3, feedforward_channels=96),
                  img_size=32, patch_size=4, out_type='cls_token')
    zoo = dict(models=[dict(name='mmvit', library='mmpretrain', arch='VisionTransformer',
                            kwargs=kwargs)])
    dery = DeRy([['mmvit', 0, 2], ['mmvit', 2, 4]], zoo, input_size=(3, 32, 32)).eval()
    source = MODELS.build(dict(type='VisionTransformer', **kwargs))
    state = {k.removeprefix('model.'): v
             for module in (dery.stem, *dery.parts) for k, v in module.state_dict().items()}
    source.load_state_dict(state)
    source.eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(dery(x)[0], source(x)[-1], atol=1e-6, rtol=0)


def test_the_reassembled_digits_config_builds_on_the_repository_zoo():
    """configs/dery/digits_reassembled_rank1.py on configs/dery/zoo/zoo.yaml (checkpoints left out:
    they are trained by the walkthrough): a ViT chain with one 48 -> 32 stitch, 10 logits."""
    from mmengine.config import Config

    from mm_cl_addon.reassembly.zoo import load_zoo
    cfg = Config.fromfile(str(REPO / 'configs' / 'dery' / 'digits_reassembled_rank1.py'))
    assert cfg.model.backbone.zoo == str(REPO / 'configs' / 'dery' / 'zoo' / 'zoo.yaml')
    entries = load_zoo(cfg.model.backbone.zoo)
    cfg.model.backbone.zoo = dict(models=[dict(name=e.name, library=e.library, arch=e.arch,
                                               kwargs=dict(e.kwargs)) for e in entries])
    torch.manual_seed(0)
    model = MODELS.build(cfg.model).eval()
    assert [type(s).__name__ for s in model.backbone.stitches] == ['Identity', 'Stitch',
                                                                   'Identity']
    assert model.backbone.stitches[1].proj.weight.shape == (32, 48)
    with torch.no_grad():
        assert model(torch.randn(2, 1, 8, 8), mode='tensor').shape == (2, 10)
