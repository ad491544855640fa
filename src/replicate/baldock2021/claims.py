"""Claims of Baldock, Maennel, Neyshabur 2021 (rows b1-b9 of FIGURES.md)."""

from ..verdicts import ClaimSpec, Figure, above, at_most, below, figures, within

FIGURES: dict[str, Figure] = figures(
    Figure(
        "baldock2021/b1",
        "Prediction depth histograms per data set and architecture",
        (
            ClaimSpec(
                "harder_task_deeper",
                "Mean prediction depth (training split) is higher on the harder task, Fashion-MNIST with 40% random "
                "labels, than on Fashion-MNIST, for the same architecture, also on the points whose label the noise "
                "left alone: relabelled points, which relabelled_deeper checks, are left out (value: the difference "
                "over the clean points, noisy run - clean run).",
                test=above(0, "the paper's direction: deeper on the harder task (Fig. 1)"),
                unit="both",
            ),
            ClaimSpec(
                "relabelled_deeper",
                "Within the noisy run, randomly relabelled points have a higher mean prediction depth than clean ones "
                "(value: the difference).",
                test=above(0, "the paper's direction: relabelled points deeper (Fig. 1, Sec. 3.2)"),
                unit="both",
            ),
        ),
    ),
    Figure(
        "baldock2021/b2",
        "Consistency of prediction depth across architectures and seeds",
        (
            ClaimSpec(
                "all_positive",
                "Every Spearman correlation of mean prediction depth, between architectures and between independent "
                "halves of one ensemble, train and validation (the test set, held out by every member), is positive "
                "(value: the smallest).",
                test=above(0, "every correlation positive (Fig. 2)"),
                unit="both",
            ),
            ClaimSpec(
                "same_above_cross",
                "Each architecture agrees with itself (independent halves) more than with any other architecture "
                "(value: the smallest same - cross difference, train and validation).",
                test=above(0, "the paper's direction: same architecture above cross (Fig. 2)"),
                unit="both",
            ),
            ClaimSpec(
                "conv_conv_above_conv_mlp",
                "The two convolutional nets agree with each other more than either agrees with the MLP (value: the "
                "smallest difference, train and validation).",
                test=above(0, "the paper's direction: conv-conv above conv-MLP (Fig. 2)"),
                unit="both",
            ),
        ),
    ),
    Figure(
        "baldock2021/b3",
        "Consistency score against prediction depth",
        (
            ClaimSpec(
                "lower_bound",
                "Where the consensus class is the label, consistency has a lower bound that falls with prediction "
                "depth: the 5th percentile of consistency per depth bin decreases with depth (value: Spearman of bin "
                "depth and that percentile, must be < 0).",
                test=below(0, "a bound that falls with depth: a negative rank correlation (Fig. 3)"),
                unit="both",
            ),
            ClaimSpec(
                "mirror_bound",
                "Where the consensus class is not the label, consistency at low depth is bounded from above by the "
                "lower bound reflected in 1/2: in the depth bins of lower_bound where the 5th-percentile line L of the "
                "consensus = label points is above 1/2 (the low depths, where 1 - L is below the ceiling of 1/2 that "
                "this group cannot reach), the 95th percentile U of the consensus != label points is at most 1 - L "
                "(value: the largest excess U - (1 - L) over those bins; must be at most one vote, 1/M).",
                test=at_most(
                    "1/M",
                    "Fig. 3 right, 'bounded from above by a line that reflects the bound from the middle plot in "
                    "C = 1/2' at low depth: same bins and reflected quantile (95th for 5th) as lower_bound, line 1 - L; "
                    "a tight mirror puts U on the line, so one consistency step of the M-member ensemble (the score's "
                    "resolution) is allowed before the bound counts as broken",
                ),
                unit="both",
            ),
        ),
    ),
    Figure(
        "baldock2021/b4",
        "Consensus-consistency and accuracy against prediction depth",
        (
            ClaimSpec(
                "cc_falls",
                "Consensus-consistency falls with mean validation prediction depth (validation: the test set, held out "
                "by every member; value: Spearman, must be < 0).",
                test=below(0, "falls with depth: Spearman < 0 (Fig. 4 left)"),
                unit="both",
            ),
            ClaimSpec(
                "one_model_predicts_others",
                "The prediction depth of a test point in one model predicts the consensus-consistency of the other "
                "N - 1 models of a full-data ensemble (value: Spearman, must be < 0).",
                test=below(0, "falls with one model's depth: Spearman < 0 (Fig. 4 middle)"),
                unit="both",
            ),
            ClaimSpec(
                "accuracy_pd0_above_last",
                "Held-out predictions made at depth 0 are more accurate than those made at the largest depth "
                "(value: the difference in accuracy).",
                test=above(0, "the paper's direction: earlier layers more accurate (Fig. 4 right)"),
                unit="both",
            ),
        ),
    ),
    Figure(
        "baldock2021/b5",
        "Iteration learned, and training vs inference learning curves with 40% random labels",
        (
            ClaimSpec(
                "learned_later",
                "Points with a larger prediction depth are learned later: Spearman(prediction depth, iteration "
                "learned) > 0 over held-out predictions (value: Spearman).",
                test=above(0, "learned later with depth: Spearman > 0 (Fig. 5 left)"),
                unit="both",
            ),
            ClaimSpec(
                "original_first_training",
                "During training, relabelled points are first fitted to their original class: the training accuracy "
                "on their original labels rises and then falls (value: its peak minus its final value, must be > 0.05).",
                test=above(
                    0.05,
                    "a rise and fall of more than 5 points of accuracy, so that noise of a point or two is not read as one (Fig. 5 middle)",
                ),
                unit="both",
            ),
            ClaimSpec(
                "original_first_inference",
                "The inference learning curve shows the same: probe accuracy on the original labels of relabelled "
                "training points peaks in a hidden layer above its value at the softmax (value: peak - softmax, > 0.05).",
                test=above(0.05, "the same 5-point margin as the training curve (Fig. 5 right)"),
                unit="both",
            ),
        ),
    ),
    Figure(
        "baldock2021/b6",
        "Margins against prediction depth, and the 0-Hinge intervention",
        (
            ClaimSpec(
                "r_output_margin",
                "Mean prediction depth of test points correlates negatively with their log output margin (value: Pearson r).",
                -0.70,
                test=below(0, "a negative correlation; the paper's r is -0.70 (Fig. 6 left)"),
                unit="both",
            ),
            ClaimSpec(
                "r_input_margin",
                "The same for the log linearised input margin (value: Pearson r).",
                -0.69,
                test=below(0, "a negative correlation; the paper's r is -0.69 (Fig. 6 middle)"),
                unit="both",
            ),
            ClaimSpec(
                "hinge_gd_small_margin",
                "0-Hinge with full-batch gradient descent ends with an output margin orders of magnitude below cross "
                "entropy with SGD: ratio below 1e-2 (value: the ratio of mean output margins; paper 2.0e-4 / 16).",
                1.25e-5,
                test=below(0.01, "orders of magnitude: a ratio below 1e-2 (Table 4: 2.0e-4 against 16)"),
            ),
            ClaimSpec(
                "hinge_gd_clusters_late",
                "With 0-Hinge and gradient descent the training data clusters only in the last layers: the first "
                "probe whose training accuracy reaches 90% of the final one is later than with cross entropy and SGD "
                "(value: the difference in probe index).",
                test=above(0, "the paper's direction: clusters in later layers (Fig. 6 right, A.12)"),
            ),
        ),
    ),
    Figure(
        "baldock2021/b7",
        "Prediction depth in the training split against the validation split",
        (
            ClaimSpec(
                "agree_when_consensus",
                "Where the consensus class is the label, mean prediction depth in the training and validation splits "
                "agree: Spearman > 0.3 (value: Spearman).",
                test=above(0.3, "Spearman > 0.3, FIGURES.md's reading of Fig. 7"),
                unit="both",
            ),
            ClaimSpec(
                "less_when_not",
                "They agree much less where the consensus class is not the label (value: the Spearman difference, "
                "consensus = label minus consensus != label, must be > 0.2).",
                test=above(0.2, "much less: a drop of more than 0.2, FIGURES.md's reading of Fig. 7"),
                unit="both",
            ),
        ),
    ),
    Figure(
        "baldock2021/b8",
        "Probe confidence and accuracy per layer for the four forms of difficulty",
        (
            ClaimSpec(
                "middle_layer_beats_network",
                "On the points that are 'ambiguous unless the label is given' (nearest the high-validation-depth, "
                "low-training-depth corner), the k-NN probe in a middle layer is more accurate than the network, "
                "cross-fitted over members: one half of the members (even or odd) chooses the group from its own "
                "depths and the middle layer from its own held-out predictions, and only the other half's held-out "
                "predictions of that group are scored, both ways round (value: probe accuracy - network accuracy, "
                "pooled over the scored pairs; paper 0.98 - 0.25).",
                0.73,
                test=above(0, "the probe beats the network; the paper's gap is 0.98 - 0.25 (Sec. 4)"),
                unit="both",
            ),
        ),
    ),
    Figure(
        "baldock2021/b9",
        "Appendix checks: final accuracies, k, and logistic-regression probes",
        (
            ClaimSpec(
                "k_insensitive",
                "Probe accuracies are insensitive to k: for k in {3, 10, 30} they differ by at most 0.05 in every "
                "layer (value: the largest difference).",
                test=at_most(0.05, "insensitive to k (App. A.6): no layer's probe accuracy moves by more than 5 points"),
            ),
            ClaimSpec(
                "table2_resnet18",
                "Trained on the full Fashion-MNIST, ResNet18's test accuracy is within 2 points of Table 2 (checked "
                "only when the run uses the full training set; value: our accuracy).",
                0.93,
                test=within(0.02, 0.93, "Table 2's ResNet18 accuracy, within 2 points"),
            ),
            ClaimSpec(
                "table2_vgg16",
                "The same for VGG16 (value: our accuracy).",
                0.93,
                test=within(0.02, 0.93, "Table 2's VGG16 accuracy, within 2 points"),
            ),
            ClaimSpec(
                "table2_mlp",
                "The same for the MLP (value: our accuracy).",
                0.90,
                test=within(0.02, 0.90, "Table 2's MLP accuracy, within 2 points"),
            ),
        ),
    ),
)
