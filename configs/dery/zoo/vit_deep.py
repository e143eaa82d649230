# DeRy digits zoo: a deeper timm ViT (2x2 patches -> 16 tokens + class token, width 48, 3 heads,
# 5 blocks, ReLU MLPs for NASWOT), trained through mmpretrain's TimmClassifier.
_base_ = ['./_base_digits.py']

model = dict(
    type='TimmClassifier',
    model_name='vit_tiny_patch16_224',
    pretrained=False,
    in_chans=1,
    num_classes=10,
    img_size=8,
    patch_size=2,
    embed_dim=48,
    depth=5,
    num_heads=3,
    act_layer='relu',
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
