"""Inference without torch: a model directory -> predictions on numpy alone.

`load_runtime` reads and checks a model directory exactly as `multiclass.persistence.load_model` does, and
returns a `RuntimeModel`: the preprocessing as a feature map (`multiclass.runtime.features`), the network's forward
pass in float32, the saved temperature and decision rule. Its probabilities equal the torch path's within 1e-6
(tested on table, text and image models). Importing this package loads neither torch, pandas, scikit-learn nor
scipy, so a one-row prediction costs a fraction of a second from process start.

>>> from multiclass.runtime import load_runtime                      # doctest: +SKIP
>>> model = load_runtime("model_dir")                                # doctest: +SKIP
>>> model.predict({"age": [41], "city": ["Lima"]}).probs             # doctest: +SKIP
"""

from multiclass.runtime.model import Prediction, RuntimeModel, load_runtime
from multiclass.runtime.schema import Field
from multiclass.runtime.values import InputError

__all__ = ["Field", "InputError", "Prediction", "RuntimeModel", "load_runtime"]
