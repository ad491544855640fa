"""Other learning paradigms on CNN difficulty groups (Hacohen et al. 2020, Sec. 4.3 and App. F).

scikit-learn classifiers are fitted on the images an ensemble trained on, then scored on
groups of examples ranked by the ensemble's accessibility (easy / intermediate / hard
thirds). AdaBoost is also read stage by stage: its accuracy as weak learners accumulate,
and a per-example boosting easiness to correlate with the CNN's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import ClassifierMixin
from sklearn.decomposition import PCA
from sklearn.ensemble import AdaBoostClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression, Perceptron
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier
from threadpoolctl import threadpool_limits

GROUPS = ("easy", "intermediate", "hard")


class WeightedLogistic(LogisticRegression):
    """Multinomial logistic regression with sample weights rescaled to mean 1, so that ``C``
    means the same inside AdaBoost (whose weights sum to 1) as on unweighted data."""

    def fit(self, X, y, sample_weight=None):
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight, dtype=np.float64) * (len(sample_weight) / np.sum(sample_weight))
        return super().fit(X, y, sample_weight=sample_weight)


WEAK_LEARNERS: dict[str, Callable[[int], ClassifierMixin]] = {
    "linear": lambda seed: WeightedLogistic(max_iter=500),
    "stump": lambda seed: DecisionTreeClassifier(max_depth=1, random_state=seed),
}
"""AdaBoost's weak learners (App. F): a full linear classifier, or a threshold on one input
feature (on principal components, a linear classifier along one principal direction)."""

LEARNERS: dict[str, Callable[[int], ClassifierMixin]] = {
    "linear SVM": lambda seed: LinearSVC(C=0.1, max_iter=5000, random_state=seed),
    "k-NN": lambda seed: KNeighborsClassifier(n_neighbors=5),
    "perceptron": lambda seed: Perceptron(random_state=seed),
    "decision tree": lambda seed: DecisionTreeClassifier(random_state=seed),
    "random forest": lambda seed: RandomForestClassifier(n_estimators=100, random_state=seed),
    "Gaussian NB": lambda seed: GaussianNB(),
}
"""The other classifiers of App. F, scikit-learn defaults unless noted (the paper gives none)."""


def difficulty_groups(easiness: ArrayLike, n_groups: int = 3) -> NDArray[np.int64]:
    """Group of every example by rank of ``easiness`` (App. F): 0 holds the highest scores
    (easy) ... n_groups - 1 the lowest (hard); equal scores keep their order, and group
    sizes differ by at most one."""
    order = np.argsort(-np.asarray(easiness, dtype=np.float64), kind="stable")
    groups = np.empty(len(order), dtype=np.int64)
    for g, members in enumerate(np.array_split(order, n_groups)):
        groups[members] = g
    return groups


def group_accuracy(correct: ArrayLike, groups: ArrayLike, n_groups: int = 3) -> NDArray[np.float64]:
    """(..., n_groups) mean of ``correct`` (..., n) over the examples of each group."""
    correct, groups = np.asarray(correct, dtype=np.float64), np.asarray(groups)
    return np.stack([correct[..., groups == g].mean(axis=-1) for g in range(n_groups)], axis=-1)


def smallest_step(correct: dict[str, ArrayLike], groups: ArrayLike) -> float:
    """The smallest drop in accuracy from one difficulty group to the next (easy - intermediate,
    intermediate - hard, ...) over all learners' (n,) ``correct``: positive when every learner is
    ordered easy > intermediate > hard (App. F, Fig. 31)."""
    n_groups = int(np.max(groups)) + 1
    return float(min((-np.diff(group_accuracy(c, groups, n_groups))).min() for c in correct.values()))


def features(train_x: ArrayLike, test_x: ArrayLike, n_components: int | None) -> tuple[NDArray, NDArray]:
    """Pixels scaled to [0, 1], flattened, projected on the first ``n_components`` principal
    components of the training images (None: all pixels) and standardised with training
    statistics; exact PCA, so no seed."""
    tr = np.asarray(train_x, dtype=np.float64).reshape(len(train_x), -1) / 255.0
    te = np.asarray(test_x, dtype=np.float64).reshape(len(test_x), -1) / 255.0
    if n_components is not None:
        pca = PCA(n_components, svd_solver="full").fit(tr)
        tr, te = pca.transform(tr), pca.transform(te)
    scaler = StandardScaler().fit(tr)
    return scaler.transform(tr), scaler.transform(te)


def adaboost(weak: str, n_estimators: int, seed: int, learning_rate: float = 1.0) -> AdaBoostClassifier:
    """Multi-class AdaBoost (SAMME, Hastie et al. 2009) on ``n_estimators`` weak learners of
    kind ``weak`` (see WEAK_LEARNERS)."""
    if weak not in WEAK_LEARNERS:
        raise ValueError(f"weak={weak!r} is not known; allowed: {', '.join(WEAK_LEARNERS)}")
    return AdaBoostClassifier(WEAK_LEARNERS[weak](seed), n_estimators=n_estimators, learning_rate=learning_rate, random_state=seed)


def staged_predictions(model: AdaBoostClassifier, x: ArrayLike, n_stages: int) -> NDArray[np.int64]:
    """(n_stages, n) predictions of the vote of the first k weak learners, k = 1..n_stages;
    where boosting stopped early (a perfect or a no-better-than-chance weak learner), the
    final vote is repeated."""
    staged = np.stack(list(model.staged_predict(x))).astype(np.int64)
    return np.concatenate([staged, np.repeat(staged[-1:], n_stages - len(staged), axis=0)])


def boosting_easiness(staged_correct: ArrayLike) -> NDArray[np.float64]:
    """(n,) fraction of the stages k = 1..K at which boosting classifies each example
    correctly: the boosting analogue of accessibility (consistency averaged over epochs)."""
    return np.asarray(staged_correct, dtype=np.float64).mean(axis=0)


@dataclass
class Comparison:
    """Predictions of every learner on every evaluated set, and AdaBoost's staged predictions."""

    preds: dict[str, dict[str, NDArray[np.int64]]] = field(default_factory=dict)
    staged: dict[str, dict[str, NDArray[np.int64]]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def compare(
    x_train: ArrayLike,
    y_train: ArrayLike,
    x_eval: dict[str, ArrayLike],
    learners: list[str],
    weak_learners: list[str],
    n_estimators: int,
    seed: int,
    threads: int = 1,
) -> Comparison:
    """Fit each of ``learners`` (LEARNERS) and AdaBoost on each of ``weak_learners`` on the
    training set, and predict every set of ``x_eval``. BLAS runs on ``threads`` threads: these
    fits are small, and more threads only contend on a shared CPU."""
    unknown = sorted(set(learners) - set(LEARNERS))
    if unknown:
        raise ValueError(f"learners {unknown} are not known; allowed: {', '.join(LEARNERS)}")
    out = Comparison()
    models = {**{f"AdaBoost ({w})": adaboost(w, n_estimators, seed) for w in weak_learners}, **{n: LEARNERS[n](seed) for n in learners}}
    with threadpool_limits(threads):
        for name, model in models.items():
            start = time.perf_counter()
            model.fit(x_train, y_train)
            out.preds[name] = {s: model.predict(x).astype(np.int64) for s, x in x_eval.items()}
            if isinstance(model, AdaBoostClassifier):
                out.staged[name] = {s: staged_predictions(model, x, n_estimators) for s, x in x_eval.items()}
            out.seconds[name] = time.perf_counter() - start
    return out
