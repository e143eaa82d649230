# mh on MOONS-CDI, online (batch size 1, one pass); see _base_/mh.py. Table 1 of the
# Continual Neural Computation supplement sets the key age threshold (200); the optimizer,
# step size, similarity and number of memories were tuned on the validation stream (below).
_base_ = ['./_base_/moons-cdi.py', './_base_/mh.py']

model = dict(head=dict(
    tau_mu=200, similarity='euclidean', gamma=0.05, tau_eta=-0.4, num_memories=16))
custom_hooks = [dict(type='OnlineStreamEvalHook', decision_regions=True),
                dict(type='MemoryKeyUpdateHook')]
selection = dict(grid=_base_.head_grid)  # merged into online_2d.py's grid
# Fair tuning (tools/select_hparams.py, on the validation stream only, seeds [1234, 123456,
# 12346578]) over SGD or Adam x step size {1e-4, 1e-3, 1e-2, 1e-1, 1} x similarity {cosine (Table
# 1), euclidean tau_eta -0.2 or -0.4} x memories {8, 16} chose SGD lr 0.1, similarity euclidean,
# gamma 0.05, tau_eta -0.4, num_memories 16: final-model val accuracy 68.92 +- 3.29.
optim_wrapper = dict(
    optimizer=dict(_delete_=True, type='SGD', lr=0.1, momentum=0.0, weight_decay=0.0))
