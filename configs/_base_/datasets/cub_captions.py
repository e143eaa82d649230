# CUB-200-2011 with Reed et al.'s captions as MM-Pick-a-back's CUB tasks: 27 tasks of 5 species.
# Groups as in MM-Pick-a-back's preprocessing: the 139 species with exactly 60 images, in
# class-id order, cut into consecutive fives (the last 4 are left out). Label = class id - 1.
# The pipelines, loaders and preprocessor: ./captions_common.py.
_base_ = ['./captions_common.py']

data_root = 'data/CUB_200_2011'
task_groups = [
    [0, 1, 3, 8, 9], [10, 12, 13, 20, 25], [26, 28, 29, 30, 34],
    [35, 37, 39, 40, 41], [43, 44, 45, 46, 47], [48, 49, 50, 51, 52],
    [53, 54, 55, 56, 58], [60, 61, 63, 66, 67], [68, 69, 70, 71, 72],
    [73, 75, 76, 78, 79], [80, 81, 82, 84, 85], [87, 88, 89, 90, 91],
    [93, 94, 95, 97, 98], [99, 101, 102, 103, 105], [108, 109, 110, 111, 113],
    [115, 117, 119, 120, 121], [122, 126, 127, 128, 129], [130, 131, 132, 133, 135],
    [136, 137, 138, 139, 141], [142, 143, 144, 145, 146], [147, 149, 151, 153, 154],
    [155, 157, 158, 160, 161], [162, 163, 164, 166, 169], [170, 171, 172, 173, 174],
    [175, 176, 179, 181, 182], [183, 184, 185, 187, 188], [190, 191, 192, 193, 194],
]

data_preprocessor = dict(num_classes=200)
dataset_source = dict(type='CUBCaptions', data_root=data_root, val_ratio=0.1, split_seed=0)
task_split = dict(tasks=task_groups, dataset=dataset_source)
train_dataloader = dict(dataset=task_split)
val_dataloader = dict(dataset=task_split)
test_dataloader = dict(dataset=task_split)
