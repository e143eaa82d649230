# MSCOCO 2017 with its captions as MM-Pick-a-back's COCO tasks: 15 tasks of 4 categories.
# An image's label is the category of its lowest-id annotation; person is excluded, so the
# 79 other categories get indices 0..78 in ascending category id (bicycle = 0). The groups
# are MM-Pick-a-back's 4-group mapping ('base' there read as 'vase').
# The pipelines, loaders and preprocessor: ./captions_common.py.
_base_ = ['./captions_common.py']

data_root = 'data/coco'
task_groups = [
    [45, 50, 49, 53],  # food 1: banana, carrot, broccoli, donut
    [48, 54, 46, 52],  # food 2: orange, cake, apple, pizza
    [13, 17, 18, 16],  # animal 1: bird, sheep, cow, horse
    [19, 15, 21, 22],  # animal 2: elephant, dog, zebra, giraffe
    [55, 59, 57, 56],  # furniture: chair, dining table, potted plant, couch
    [66, 61, 64, 62],  # electronic: cell phone, tv, remote, laptop
    [38, 40, 44, 39],  # kitchen: bottle, cup, bowl, wine glass
    [1, 2, 7, 6],  # vehicle 1: car, motorcycle, boat, truck
    [0, 4, 3, 5],  # vehicle 2: bicycle, bus, airplane, train
    [8, 12, 10, 9],  # outdoor: traffic light, bench, stop sign, fire hydrant
    [25, 24, 23, 26],  # accessory: handbag, umbrella, backpack, tie
    [32, 29, 31, 36],  # sports 1: kite, skis, sports ball, surfboard
    [35, 37, 34, 33],  # sports 2: skateboard, tennis racket, baseball glove, baseball bat
    [70, 68, 71, 67],  # appliance: sink, oven, refrigerator, microwave
    [72, 74, 73, 76],  # indoor: book, vase, clock, teddy bear
]

data_preprocessor = dict(num_classes=79)
dataset_source = dict(type='COCOCaptions', data_root=data_root, exclude_person=True, val_ratio=0.1,
                      split_seed=0)
task_split = dict(tasks=task_groups, dataset=dataset_source)
train_dataloader = dict(dataset=task_split)
val_dataloader = dict(dataset=task_split)
test_dataloader = dict(dataset=task_split)
