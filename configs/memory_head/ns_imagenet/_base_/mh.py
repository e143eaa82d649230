# mh on 512-d ResNet-18 features: MemoryHead(100 classes, 512 inputs), with the ns-imagenet
# column of Table 1 of the Continual Neural Computation supplement, mapped to MemoryHead's
# parameters as for the 2D streams (docs/memory_head_results.md):
#   m = 100 shared keys, delta = 5, WTA memory update, ad hoc keys, scrambling
#   softmax(gamma_ref * cos / sqrt(d)), gamma_ref = 1, d = 512  ->  gamma = sqrt(512) / 1
#   beta (key step) = 1e-3                                     ->  key_lr = 1e-3
#   tau_alpha (winner similarity) = 0.7                        ->  tau_eta = 0.7 (raw cosine)
#   tau_eta (age) = 5000                                       ->  tau_mu = 5000 (samples)
#   tau_mu (fewer wins than) = 500 of the 126000-sample stream ->  tau_alpha = 500 / 126000
# (rho = 1e-4 and decay = 1e-3 are the optimizer's, in mh_ns-imagenet.py.)
_base_ = ['../../2d/_base_/mh.py']

model = dict(head=dict(num_classes=100, in_channels=512, num_memories=100, delta=5,
                       gamma=512**0.5, key_lr=1e-3, tau_alpha=500 / 126000, tau_mu=5000,
                       tau_eta=0.7))
