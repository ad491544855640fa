"""Claims of Hacohen, Choshen, Weinshall 2020 (rows h1-h11 of FIGURES.md)."""

from .. import curves
from ..verdicts import ClaimSpec, Figure, above, at_least, at_most, below, figures, within

BIMODAL = below(curves.BIMODAL_LINE, curves.BIMODAL_SOURCE)
R_STRONG = (
    "a strong correlation, as the paper's r = 0.83 (Fig. 30b) is: above 0.5, Cohen's (1988) lower bound "
    "of a large correlation and the line h5 uses for the strong cross-architecture correlation"
)

MATCHED = at_least(
    curves.NON_BIMODAL_MARGIN,
    "half the gap between the paper's bimodal (at most 0.22) and non-bimodal (at least 1.07) collections "
    "(Sec. 5), at epochs of equal accuracy within 1% (Sec. 4.1, footnote 4)",
)

FIGURES: dict[str, Figure] = figures(
    Figure(
        "hacohen2020/h1",
        "Consistency histograms through training",
        (
            ClaimSpec(
                "init_mean",
                "At initialisation the mean test consistency is chance, 1/K (within 0.05).",
                0.1,
                test=within(0.05, "1/K", "chance, 1/K for K classes, within 0.05"),
                learning=False,
            ),
            ClaimSpec(
                "init_unimodal",
                "At initialisation the test consistency is unimodal: bimodality >= 1 (a normal gives 2, two points 0).",
                test=at_least(1, "unimodal: at least 1 (a uniform gives 0.8, a normal 2, two points 0)"),
                learning=False,
            ),
            ClaimSpec(
                "bimodal_train",
                "Once learning is under way (every epoch from the notebook's first_checked_epoch), the train "
                "consistency is bimodal: its bimodality measure stays closer to the paper's bimodal collections "
                "(at most 0.22) than to its non-bimodal ones (at least 1.07), i.e. below 0.645 (value: the largest).",
                0.22,
                test=BIMODAL,
            ),
            ClaimSpec(
                "bimodal_test",
                "The same for the test set: bimodality below 0.645 at every checked epoch (value: the largest).",
                0.22,
                test=BIMODAL,
            ),
            ClaimSpec(
                "below_independent",
                "At every checked epoch, on train and test, the bimodality measure is at least 1 below that "
                "of independent models with matched accuracy (value: the largest difference, ours - independent).",
                test=at_most(-1, "far below independent models, whose measure sits near 2 - 2/N: a gap of at least 1"),
            ),
        ),
    ),
    Figure(
        "hacohen2020/h2",
        "Consensus histograms against independent models",
        (
            ClaimSpec(
                "above_independent_train",
                "At every epoch after 0 the mean train consensus is above that of independent models with "
                "matched accuracy (value: the smallest difference, ours - independent).",
                test=above(0, "the paper's direction: more consensus than independent models (Fig. 3)"),
            ),
            ClaimSpec(
                "above_independent_test",
                "The same on the test set (value: the smallest difference, ours - independent).",
                test=above(0, "the paper's direction: more consensus than independent models (Fig. 3)"),
            ),
        ),
    ),
    Figure(
        "hacohen2020/h3",
        "Networks trained on different parts of the training set",
        (
            ClaimSpec(
                "test_bimodal",
                "Networks each trained on its own disjoint part of the training set still have a bimodal "
                "consistency on the shared test set at every checked epoch: bimodality below 0.645, the "
                "midpoint of the paper's bimodal (0.22) and non-bimodal (1.07) values (value: the largest).",
                test=BIMODAL,
            ),
            ClaimSpec(
                "below_independent",
                "At every checked epoch the test bimodality is at least 1 below that of independent models "
                "with matched accuracy, taken exactly (the Poisson-binomial value as the number of test "
                "images grows, compare.independent_bimodality) rather than from one noisy draw (value: the "
                "largest difference, ours - independent).",
                test=at_most(-1, "far below independent models, as in h1: a gap of at least 1"),
            ),
        ),
    ),
    Figure(
        "hacohen2020/h4",
        "Consensus on out-of-sample test sets",
        (
            ClaimSpec(
                "test_above_unseen",
                "After training (mean over the epochs of the last third of training, rounded up), mean "
                "consensus on the in-distribution test set is above that on natural images of classes never "
                "trained on (value: the difference).",
                test=above(0, "the order of Fig. 5: test above unseen classes, read over the last third of training"),
                unit="both",
            ),
            ClaimSpec(
                "unseen_above_noise",
                "Over the last third of training, mean consensus on unseen-class images is above that on "
                "Gaussian-noise images (value: the difference, averaged over those epochs).",
                test=above(0, "the order of Fig. 5: unseen classes above noise, read over the last third of training"),
                unit="both",
            ),
            ClaimSpec(
                "noise_above_random",
                "Over the last third of training, mean consensus on Gaussian-noise images is above that of "
                "independent random classifiers (value: the difference, averaged over those epochs).",
                test=above(0, "the order of Fig. 5: noise above random classifiers, read over the last third of training"),
                unit="both",
            ),
        ),
    ),
    Figure(
        "hacohen2020/h5",
        "Cross-architecture consistency and accessibility",
        (
            ClaimSpec(
                "r_same",
                "Accessibility (an example's test consistency averaged over epochs 1 to the last) correlates "
                "more strongly between two collections of the same architecture (A1, A2: different seeds) than "
                "between two architectures (A1 vs B): Pearson r same > r cross (value: r same).",
                0.99,
                test=above("r_cross", "the cross-architecture correlation: a collection agrees with itself more (Sec. 4.1)"),
            ),
            ClaimSpec(
                "r_cross",
                "Accessibility of two different architectures (A1 vs B) is strongly correlated: Pearson r > 0.5 "
                "(value: r cross; paper 0.87 ResNet-50 vs AlexNet, 0.97 vs DenseNet, 0.78-0.83 on CIFAR).",
                0.87,
                test=above(0.5, "a strong positive correlation across architectures (Fig. 6: the paper's r is 0.78-0.97)"),
            ),
            ClaimSpec(
                "cross_bimodal",
                "At accuracy-matched epoch pairs of A1 and B (mean test accuracy within 1%, epoch 0 left out) the "
                "test cross-consistency of the merged collection is bimodal: its bimodality measure, averaged "
                "over the pairs, is below 0.645 as in h1 (value: that mean).",
                0.54,
                test=BIMODAL,
            ),
        ),
    ),
    Figure(
        "hacohen2020/h6",
        "Linear vs non-linear networks",
        (
            ClaimSpec(
                "linear_weaker",
                "Linear st-VGGs (identity activations, average pooling) learn, but are weaker: their final mean "
                "test accuracy is at least 0.02 below the non-linear ones' (value: linear - non-linear; paper "
                "0.43 - 0.56).",
                -0.13,
                test=at_most(-0.02, "the linear nets end at least 2 points less accurate (Sec. 4.2)"),
            ),
            ClaimSpec(
                "linear_bimodal",
                "The linear collection's consistency is bimodal too: bimodality measure below 0.645 (as h1) at "
                "every checked epoch, train and test (value: the largest).",
                0.055,
                test=BIMODAL,
            ),
            ClaimSpec(
                "linear_more_bimodal",
                "Its bimodality is even more pronounced than the non-linear collection's: the largest linear "
                "measure is below the largest non-linear one over the checked epochs (value: linear - non-linear; "
                "paper 0.055 - 0.22).",
                -0.165,
                test=below(0, "the paper's direction: the linear collection more bimodal (Sec. 4.2)"),
            ),
            ClaimSpec(
                "easy_linear_only",
                "Examples easy for the linear nets (consistency > 0.9) are mostly easy for the non-linear ones at "
                "the same epoch: |C_L minus C_NL| is at most 10% of |C_L| at every checked epoch, train and test "
                "(value: the largest fraction).",
                test=at_most(0.1, "always rather small (Sec. 4.2): at most 10% of the linear easy set"),
            ),
        ),
    ),
    Figure(
        "hacohen2020/h7",
        "Gabor patches: no bimodality",
        (
            ClaimSpec(
                "not_bimodal_train",
                "On Gabor patches the train consistency is not bimodal while learning is under way (the window of "
                "curves.not_bimodal_epochs: mean training accuracy between 10% and 90% of its rise from chance): "
                "its median bimodality there is at or above the not-bimodal line, the natural-data (h1) collection's "
                "median over its own window plus 0.425 (value: our median).",
                test=at_least("train line", curves.NOT_BIMODAL_SOURCE),
            ),
            ClaimSpec(
                "not_bimodal_test",
                "The same on the test set: median bimodality over the window at or above the natural-data "
                "collection's line (value: our median).",
                test=at_least("test line", curves.NOT_BIMODAL_SOURCE),
            ),
            ClaimSpec(
                "matched_train",
                "Compared at the same stage of learning rather than the same epoch: over the Gabor window's epochs "
                "whose mean train accuracy is within 1% of a natural-data epoch's (from epoch 1), the median Gabor "
                "minus natural-data train bimodality is at least 0.425 (value: that median).",
                test=MATCHED,
            ),
            ClaimSpec(
                "matched_test",
                "The same on the test set, epochs matched by mean test accuracy (value: the median difference).",
                test=MATCHED,
            ),
            ClaimSpec(
                "resembles_independent",
                "Over the window the Gabor histograms are close to those of independent models with matched "
                "accuracy (Fig. 8: approximately normal): the median |ours - independent| bimodality is less than "
                "half the natural-data collection's median distance from its own independent baseline, on train "
                "and on test (value: the larger ratio; 0 = independent, 1 = natural data).",
                test=below(0.5, "closer to independent models than to natural data: less than half the natural run's distance (as h9)"),
            ),
            ClaimSpec(
                "bimodal_at_convergence_test",
                "At convergence bimodal traits come back on the test set: the test bimodality after the last "
                "epoch is below that not-bimodal line (value: that bimodality).",
                test=below("test line", curves.NOT_BIMODAL_SOURCE),
            ),
        ),
    ),
    Figure(
        "hacohen2020/h8",
        "Random labels: no bimodality",
        (
            ClaimSpec(
                "memorised",
                "Without dropout the networks memorise random training labels: mean training accuracy after "
                "the last epoch at least 0.95 (value: that accuracy).",
                1.0,
                test=at_least(0.95, "memorised: at least 95% training accuracy on random labels (Sec. 5)"),
            ),
            ClaimSpec(
                "not_bimodal_train",
                "With random labels the train consistency is not bimodal at any epoch of the window of "
                "curves.not_bimodal_epochs (mean training accuracy between 10% and 90% of its rise from chance; "
                "the same window and line as p2): its bimodality stays at or above the not-bimodal line, the "
                "natural-data (h1) collection's median over its own window plus 0.425 (value: the smallest).",
                1.07,
                test=at_least("train line", curves.NOT_BIMODAL_SOURCE),
            ),
            ClaimSpec(
                "not_bimodal_test",
                "The same on the test set (true labels): bimodality at or above the natural-data collection's "
                "test line at every epoch of the window (value: the smallest).",
                1.35,
                test=at_least("test line", curves.NOT_BIMODAL_SOURCE),
            ),
        ),
    ),
    Figure(
        "hacohen2020/h9",
        "Two overlapping Gaussians: like independent learners",
        (
            ClaimSpec(
                "not_bimodal_test",
                "Fully connected nets on two overlapping Gaussians have a test consistency that is not bimodal "
                "while learning is under way (the window of curves.not_bimodal_epochs: mean training accuracy "
                "between 10% and 90% of its rise from chance, as in h7, h8 and p2): its median bimodality there is "
                "at or above the not-bimodal line, the natural-data (h1) collection's median over its own window "
                "plus 0.425 (value: our median).",
                test=at_least("test line", curves.NOT_BIMODAL_SOURCE),
            ),
            ClaimSpec(
                "resembles_independent",
                "Their test bimodality resembles that of independent models with matched accuracy: the median "
                "|ours - independent| over the window is less than half the natural-data collection's "
                "median distance from its own independent baseline (value: that ratio; 0 = independent, 1 = "
                "natural data).",
                test=below(0.5, "closer to independent models than to natural data: less than half the natural run's distance"),
            ),
        ),
    ),
    Figure(
        "hacohen2020/h10",
        "Other learning paradigms on easy, intermediate and hard examples",
        (
            ClaimSpec(
                "ordered",
                "Every other learner (AdaBoost on each weak learner, linear SVM, k-NN, perceptron, decision tree, "
                "random forest, Gaussian naive Bayes), fitted on the CNNs' training images, has test accuracy "
                "easy > intermediate > hard on the thirds of the test set ranked by CNN accessibility (value: the "
                "smallest step between neighbouring groups over all learners, in accuracy; holds when > 0).",
                test=above(0, "the paper's order: easy above intermediate above hard for every learner (App. F)"),
            ),
            ClaimSpec(
                "boost_gain",
                'Adding weak linear classifiers improves AdaBoost (App. F, "as commonly observed"): its test '
                "accuracy with all k weak learners is above that with the first one (value: the difference).",
                test=above(0, "the paper's direction: adding weak learners improves AdaBoost, as commonly observed (App. F)"),
            ),
            ClaimSpec(
                "r_linear",
                "AdaBoost on linear weak learners and the CNNs find the same test examples difficult: Pearson r "
                "between boosting easiness (fraction of the stages k = 1..K that classify an example correctly) "
                "and CNN accessibility is strong, r > 0.5 (value: r; paper 0.83).",
                0.83,
                test=above(0.5, R_STRONG),
                unit="examples",
            ),
            ClaimSpec(
                "r_stump",
                "The same for AdaBoost on stumps (a threshold on one principal component, i.e. a linear "
                "classifier along one direction): r > 0.5 (value: r).",
                test=above(0.5, R_STRONG),
                unit="examples",
            ),
        ),
    ),
    Figure(
        "hacohen2020/h11",
        "Induced class order and individual trajectories",
        (
            ClaimSpec(
                "class_order",
                "Some classes reach consistency 1 before others: the first epochs at which half of each "
                "class's training images have consistency 1 spread over more epochs (last class minus first; "
                "a class that never gets there counts as one epoch past the last) than when the same "
                "images, with the same consistencies, are dealt into classes of the same sizes at random "
                "(value: our spread; threshold: the mean spread over 100 seeded shuffles).",
                test=above(
                    "shuffled spread",
                    "the null App. E argues against: class membership says nothing about when an image is "
                    "learned (labels shuffled among the images, class sizes kept)",
                ),
            ),
            ClaimSpec(
                "fewer_labels_early",
                "Early in training the networks use fewer labels than accuracy alone implies, and become more "
                "specific later: after epoch 1 each network's effective number of labels (exp of the entropy "
                "of its predicted-label shares on the training images) falls further short of that of an "
                "independent model with its accuracy and uniform errors than after the last epoch (value: the "
                "shortfall after epoch 1, averaged over the networks; threshold: the same after the last epoch).",
                test=above(
                    "late shortfall",
                    "the paper's direction (App. E): initially fewer labels, more specific later; accuracy "
                    "is factored out by matched independent models at each epoch",
                ),
            ),
        ),
    ),
)
