# DeRy digits zoo: a deeper timm ViT, vit_small.py with width 48, 3 heads and 5 blocks (2x2
# patches -> 16 tokens + class token, ReLU MLPs for NASWOT), through mmpretrain's TimmClassifier.
_base_ = ['./vit_small.py']

model = dict(embed_dim=48, depth=5, num_heads=3)
