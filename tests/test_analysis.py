import numpy as np

from replicate import runs
from replicate.hacohen2020 import analysis


def record(preds, labels, n_classes):
    return runs.Record(
        spec=None, key="k", arrays={"preds/train": np.asarray(preds), "labels/train": np.asarray(labels)}, meta={"n_classes": n_classes}
    )


def test_majority_label_ignores_initialisation_and_breaks_ties_to_the_label():
    # 2 models, 3 checkpoints (0 = init), 2 examples
    preds = [[[2, 2], [0, 1], [0, 0]], [[2, 2], [1, 1], [1, 0]]]
    rec = record(preds, [1, 0], 3)
    # example 0 votes after init: 0, 0, 1, 1 -> tie between 0 and 1, the label is 1
    # example 1 votes: 1, 0, 1, 0 -> tie, the label is 0
    assert analysis.majority_label(rec, "train").tolist() == [1, 0]


def test_class_learned_epoch():
    # 3 epochs (0..2), 4 examples: class 0 = examples 0, 1; class 1 = examples 2, 3
    consistency = np.array([[0, 0, 0, 0], [1, 0.5, 0, 0], [1, 1, 0, 0.5]])
    labels = np.array([0, 0, 1, 1])
    assert analysis.class_learned_epoch(consistency, labels, 2).tolist() == [1, 3]
    assert analysis.class_learned_epoch(consistency, labels, 2, fraction=1.0).tolist() == [2, 3]


def test_labels_in_use():
    preds = np.array([[0, 0, 0, 1], [0, 0, 0, 1]])
    assert analysis.labels_in_use(preds, np.array([0, 1, 2, 1]), 3) == 2
    assert analysis.labels_in_use(preds, np.array([0, 1, 2, 1]), 3, min_share=0.5) == 1


def test_trajectory_examples_pick_each_pattern():
    c = np.array(
        [  # epochs 0..4 for 5 examples
            [0.1, 0.1, 0.1, 0.1, 0.1],
            [1.0, 0.5, 0.2, 1.0, 0.0],
            [1.0, 0.5, 0.0, 1.0, 0.0],
            [1.0, 1.0, 1.0, 0.5, 0.0],
            [1.0, 1.0, 1.0, 0.0, 0.0],
        ]
    )
    picks = analysis.trajectory_examples(c)
    assert picks == {"learned at once": 0, "learned late": 1, "dipped, then learned": 2, "forgotten": 3, "never learned": 4}
