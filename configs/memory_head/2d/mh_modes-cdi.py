# mh on MODES-CDI, online (batch size 1, one pass), SGD with the step size of the Continual
# Neural Computation supplement, Table 1 (rho = 0.1); see _base_/mh.py.
_base_ = ['./_base_/modes-cdi.py', './_base_/mh.py']

model = dict(head=dict(tau_mu=50))
optim_wrapper = dict(optimizer=dict(lr=0.1))
custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='MemoryKeyUpdateHook')]
# Fair tuning adds the head's own hyper-parameters to the optimizer grid of online_2d.py: the
# similarity with its temperature and firing threshold (Table 1's cosine first; euclidean, whose
# distances are those of the data, with two thresholds: fire when the nearest key is farther
# than 0.2 or 0.4) and the number of memories (Table 1's 8 first, then 16).
selection = dict(grid={  # merged into online_2d.py's grid
    'model.head': [dict(similarity='cosine', gamma=2**0.5 / 25, tau_eta=0.95),
                   dict(similarity='euclidean', gamma=0.05, tau_eta=-0.2),
                   dict(similarity='euclidean', gamma=0.05, tau_eta=-0.4)],
    'model.head.num_memories': [8, 16]})
