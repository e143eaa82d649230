# DeRy digits zoo: a tiny timm ViT (2x2 patches of the 8x8 image -> 16 tokens + class token,
# width 32, 3 blocks), trained through mmpretrain's TimmClassifier (plain timm checkpoint keys).
# Its MLPs use nn.ReLU instead of GELU so that the NASWOT proxy (which hooks nn.ReLU) sees it.
_base_ = ['./_base_digits.py']

model = dict(
    type='TimmClassifier',
    model_name='vit_tiny_patch16_224',
    pretrained=False,
    in_chans=1,
    num_classes=10,
    img_size=8,
    patch_size=2,
    embed_dim=32,
    depth=3,
    num_heads=2,
    act_layer='relu',
    loss=dict(type='CrossEntropyLoss', loss_weight=1.0))
