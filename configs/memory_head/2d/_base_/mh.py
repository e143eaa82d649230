# mh: Flatten + MemoryHead on the two coordinates, i.e. one layer of continual neural units
# (the papers' 2D `cnu`/`mh` model), with Table 1 of the Continual Neural Computation
# supplement: m = 8 shared keys, delta = 2, WTA memory update, ad hoc keys, scrambling.
# Their parameters map to MemoryHead's as follows (see docs/memory_head_results.md):
#   softmax(gamma_ref * cos / sqrt(d)), gamma_ref = 25  ->  gamma = sqrt(2) / 25
#   beta (key step) = 0.01                              ->  key_lr = 0.01
#   tau_alpha (winner similarity) = 0.95                ->  tau_eta = 0.95 (raw cosine)
#   tau_eta (age) = 50 (MODES) / 200 (MOONS)            ->  tau_mu (age, samples)
#   tau_mu (fewer wins than) = 50 of 1000 samples       ->  tau_alpha = 0.05 (win rate)
model = dict(
    type='ImageClassifier',
    backbone=dict(type='Flatten'),
    head=dict(
        type='MemoryHead',
        num_classes=4,
        in_channels=2,
        num_memories=8,
        delta=2,
        shared_keys=True,
        similarity='cosine',
        gamma=2**0.5 / 25,
        memory_update='WTA',
        key_update='ad_hoc_WTA',
        key_lr=0.01,
        scramble=True,
        tau_alpha=0.05,
        tau_mu=50,
        tau_eta=0.95,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)),
)
# Fair tuning adds the head's own hyper-parameters to the optimizer grid of online_2d.py: the
# similarity with its temperature and firing threshold (Table 1's cosine first; euclidean, whose
# distances are those of the data, with two thresholds: fire when the nearest key is farther
# than 0.2 or 0.4) and the number of memories (Table 1's 8 first, then 16).
head_grid = {  # mh_<stream>-cdi.py add it to online_2d.py's selection grid
    'model.head': [dict(similarity='cosine', gamma=2**0.5 / 25, tau_eta=0.95),
                   dict(similarity='euclidean', gamma=0.05, tau_eta=-0.2),
                   dict(similarity='euclidean', gamma=0.05, tau_eta=-0.4)],
    'model.head.num_memories': [8, 16]}
