"""`SoftmaxClassifier`: the scikit-learn face of the library, a thin wrapper over `multiclass.jobs.fit_arrays` and
`multiclass.trained.TrainedModel` (what the command line trains and predicts with)."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from multiclass.data.labels import check_label_values
from multiclass.data.split import stratified_split
from multiclass.decisions import DecisionConfig, DecisionPolicy
from multiclass.exceptions import ConfigError, DataError, NotFittedError
from multiclass.jobs.fit import fit_arrays
from multiclass.metrics import accuracy_score
from multiclass.training.config import TrainConfig
from multiclass.training.recipes import SEARCHED, SETTINGS, Recipe

__all__ = ["SoftmaxClassifier"]



class SoftmaxClassifier(ClassifierMixin, BaseEstimator):
    """A softmax neural network classifier: an MLP with K logits trained by cross-entropy with Adam.

    Parameters
    ----------
    recipe : {"auto", "seed"}, default="auto"
        How the hyperparameters left at None are chosen (`multiclass.training.recipes`): "auto" searches network
        shapes (softmax regression to a few hundred units), L2 and dropout on the validation rows and trains the
        winner, epochs decided by early stopping; "seed" is the course's 25-15 relu network, Adam 1e-3, batch 32,
        up to 100 epochs. A hyperparameter given is kept fixed in either.
    hidden : tuple of int or None, default=None
        Hidden layer widths; ``()`` is multinomial softmax (logistic) regression. None: the recipe's.
    activation : str, default="relu"
    dropout : float or None, default=None
    l2 : float or None, default=None
        ``l2 * sum(W**2)`` over weight matrices, as Keras' ``kernel_regularizer=l2(l2)``.
    lr : float or None, default=None
    batch_size : int or None, default=None
    max_epochs : int or None, default=None
        None: the recipe's (early stopping decides; "seed": 100).
    early_stopping : bool or "auto", default="auto"
        Hold out `val_split` of the rows (stratified), stop after `patience` epochs without improvement of
        `monitor` and restore the best weights. "auto" does so when some class has at least 2 rows (a class of
        one row stays in training, with a warning) and trains without validation otherwise.
    val_split : float, default=0.1
    monitor : str or None, default=None
        "val_loss", "val_accuracy", "val_macro_f1", "val_cost", "val_recall:<class>" or
        "val_critical:<class>[,<class>]"; None: "val_cost" (the mean cost per validation row of the decisions under
        `cost_matrix`, lower is better) when `cost_matrix` is given, else "val_critical:<critical_classes>" when
        `critical_classes` are given, else the recipe's (`multiclass.training.monitor`).
    precision_floor : float in (0, 1], default=0.5
        The precision each critical class must keep on the validation rows for a "val_critical" monitor to count
        its recall.
    patience : int or None, default=None
    min_delta : float, default=0.0
    class_weight : None, "none", "balanced", "sqrt_balanced" or dict, default=None
        None: under ``recipe="auto"``, "sqrt_balanced" (the square root of scikit-learn's "balanced" weights), and
        "balanced" for TF-IDF text; no weights under ``recipe="seed"``. "none" says no weights outright.
    label_smoothing : float, default=0.0
    calibrate : bool, default=False
        Fit a temperature on the held-out `val_split` rows: `predict_proba` then returns calibrated
        probabilities (the argmax does not change).
    cost_matrix : array-like of shape (n_classes, n_classes), mapping, path or None, default=None
        Cost of deciding class j (column) when the truth is class i (row), rows and columns in the order of
        `classes_`; or ``{true: {decided: cost}}`` (others from the 0-1 cost); or a CSV/JSON file. `predict`
        then returns the decision of minimum expected cost.
    target_recall : mapping or None, default=None
        Class label -> minimum recall in (0, 1]: per-class offsets tuned on the held-out rows to reach it,
        keeping macro-F1 as high as possible (`multiclass.decisions.fit_recall_offsets`).
    critical_classes : sequence or None, default=None
        The class labels that matter most: kept with the model (``trained_.critical``), named first by its reports,
        calibrated alone by `coverage`, and watched by early stopping and the recipe's search unless `monitor` is
        given (their mean recall at precision >= 0.5: `multiclass.classes.Watched`).
    coverage : float or None, default=None
        Calibrate conformal prediction sets on the held-out `val_split` rows (`predict_set`): each set holds the
        true class with this probability (per critical class when there are any).
    set_score : {"lac", "aps", "raps"}, default="aps"
        The conformal score of the sets.
    set_groups : {"auto", "marginal", "critical", "all"}, default="auto"
        The classes with a threshold of their own: none, each of `critical_classes`, or every class (coverage given
        each class); "auto": the critical classes when there are any, else none.
    set_calibration : {"split", "cross"}, default="split"
        Calibrate the sets on the held-out rows, or on every row's out-of-fold probabilities of 5 fold models of
        the final model's recipe ("cross": cross-conformal, no held-out rows needed; `multiclass.jobs.cross_sets`).
    random_state : int, RandomState or None, default=None
        Seeds the split, initialisation, shuffling and dropout; None draws a seed from numpy's global RNG.
    device : str, default="cpu"
    verbose : bool, default=False
        Show the training progress display.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    n_features_in_ : int
    trained_ : multiclass.trained.TrainedModel
        The network with its classes, training record and decision policy (what `multiclass.persistence.save_model`
        writes).
    model_ : multiclass.models.MLP
    history_ : list of dict
        One record per epoch (see `multiclass.training.TrainResult`).
    n_iter_ : int
        Epochs run.
    best_epoch_ : int
        The epoch whose weights the model holds.
    decision_policy_ : multiclass.decisions.DecisionPolicy
        Temperature and decision rule used by `predict_proba` and `predict` (the plain argmax by default).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> X, y = load_iris(return_X_y=True)
    >>> clf = SoftmaxClassifier(recipe="seed", hidden=(), lr=0.05, random_state=0).fit(X, y)
    >>> float(clf.predict_proba(X[:1]).sum().round(6))
    1.0
    >>> clf.score(X, y) > 0.9
    True
    """

    def __init__(
        self,
        recipe="auto",
        hidden=None,
        activation="relu",
        dropout=None,
        l2=None,
        lr=None,
        batch_size=None,
        max_epochs=None,
        early_stopping="auto",
        val_split=0.1,
        monitor=None,
        precision_floor=0.5,
        patience=None,
        min_delta=0.0,
        class_weight=None,
        label_smoothing=0.0,
        calibrate=False,
        cost_matrix=None,
        target_recall=None,
        critical_classes=None,
        coverage=None,
        set_score="aps",
        set_groups="auto",
        set_calibration="split",
        random_state=None,
        device="cpu",
        verbose=False,
    ):
        self.recipe = recipe
        self.hidden = hidden
        self.activation = activation
        self.dropout = dropout
        self.l2 = l2
        self.lr = lr
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.val_split = val_split
        self.monitor = monitor
        self.precision_floor = precision_floor
        self.patience = patience
        self.min_delta = min_delta
        self.class_weight = class_weight
        self.label_smoothing = label_smoothing
        self.calibrate = calibrate
        self.cost_matrix = cost_matrix
        self.target_recall = target_recall
        self.critical_classes = critical_classes
        self.coverage = coverage
        self.set_score = set_score
        self.set_groups = set_groups
        self.set_calibration = set_calibration
        self.random_state = random_state
        self.device = device
        self.verbose = verbose

    def _use_validation(self, counts: np.ndarray) -> bool:
        if self.early_stopping == "auto":
            return bool(counts.max() >= 2)
        if isinstance(self.early_stopping, (bool, np.bool_)):
            return bool(self.early_stopping)
        raise ConfigError(f"`early_stopping` must be True, False or 'auto'; got {self.early_stopping!r}.")

    def fit(self, X, y):
        """Fit the network to `X` (n_samples, n_features) and class labels `y` (n_samples,)."""
        if y is not None:  # (None itself: scikit-learn says y is required)
            check_label_values(y)  # missing or mixed labels: named by row, not a TypeError from deep inside
        X, y = validate_data(self, X, y, dtype=(np.float32, np.float64))
        check_classification_targets(y)
        self.classes_, codes = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise DataError(f"`y` must contain at least 2 classes; got 1 class ({self.classes_.tolist()[0]!r}).")
        use_val = self._use_validation(np.bincount(codes))
        decision = DecisionConfig(calibrate=self.calibrate, cost_matrix=self.cost_matrix,
                                  target_recall=self.target_recall,
                                  critical=tuple(str(c) for c in self.critical_classes or ()), coverage=self.coverage,
                                  set_score=self.set_score, set_groups=self.set_groups,
                                  set_calibration=self.set_calibration)
        held_out = decision.needs_validation or (self.coverage is not None and self.set_calibration == "split")
        if held_out and not (isinstance(self.val_split, float) and 0 < self.val_split < 1):
            raise ConfigError(f"`val_split` must be in (0, 1) to fit `calibrate`, `target_recall` or `coverage` on "
                              f"held-out rows; got {self.val_split!r}.")
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        given = {name: value for name, value in (("lr", self.lr), ("batch_size", self.batch_size),
                                                 ("epochs", self.max_epochs), ("l2", self.l2),
                                                 ("monitor", self.monitor), ("patience", self.patience))
                 if value is not None}  # fixed; the others are the recipe's
        if not use_val:
            given["patience"] = None
        config = TrainConfig(**given, label_smoothing=self.label_smoothing,
                             val_split=self.val_split if use_val else 0.0, min_delta=self.min_delta,
                             precision_floor=self.precision_floor,
                             class_weight=self.class_weight, seed=seed, device=self.device, verbose=self.verbose)
        names = [str(c) for c in self.classes_]
        X_val = y_val = None
        if use_val or held_out:  # the split `train` would make, made here to reuse its rows
            train_idx, val_idx = stratified_split(codes, self.val_split, seed=seed, classes=names)
            X, codes, X_val, y_val = X[train_idx], codes[train_idx], X[val_idx], codes[val_idx]
        recipe = Recipe(self.recipe, {k: v for k, v in given.items() if k in SEARCHED + SETTINGS})
        self.trained_, _ = fit_arrays(X, codes, classes=names, hidden=None if self.hidden is None else
                                      tuple(self.hidden), activation=self.activation, dropout=self.dropout,
                                      config=config, decision=decision, X_val=X_val, y_val=y_val,
                                      early_stopping=use_val, recipe=recipe)
        self.model_ = self.trained_.model
        self.decision_policy_ = self.trained_.decision or DecisionPolicy()
        self.history_ = self.trained_.history
        self.n_iter_ = len(self.history_)
        self.best_epoch_ = self.trained_.best_epoch
        return self

    def _features(self, X) -> np.ndarray:
        if not hasattr(self, "trained_"):
            raise NotFittedError(
                f"this {type(self).__name__} instance is not fitted yet; call fit() with training data first."
            )
        return validate_data(self, X, reset=False, dtype=np.float32)

    def predict_log_proba(self, X) -> np.ndarray:
        """Log-probabilities (n_samples, n_classes), columns in the order of `classes_`; calibrated when
        `calibrate` was set."""
        X = self._features(X)  # first: unfitted is a NotFittedError
        return self.trained_.predict_log_proba(X)

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities (n_samples, n_classes): softmax of the logits (divided by the fitted temperature
        when calibrated), rows summing to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X) -> np.ndarray:
        """The decided class of each row: the most probable one, or the decision policy's (`cost_matrix`,
        `target_recall`)."""
        X = self._features(X)  # first: unfitted is a NotFittedError
        return self.classes_[self.trained_.predict_codes(X)]

    def predict_set(self, X) -> np.ndarray:
        """Conformal prediction sets (n_samples, n_classes) bool, columns in the order of `classes_`: True where
        the class is in the row's set (fitted with `coverage`)."""
        X = self._features(X)  # first: unfitted is a NotFittedError
        return self.trained_.predict_set(X)

    def score(self, X, y, sample_weight=None) -> float:
        """Accuracy on (X, y)."""
        return accuracy_score(y, self.predict(X), sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        tags.input_tags.allow_nan = False
        return tags
