"""The BentoML 1.4 peer: a service class with one API taking typed rows (pydantic), one worker.
`bentoml serve bento_service:Classifier` with BENCH_BUNDLE set."""

from __future__ import annotations

import bentoml
import numpy as np
from pydantic import create_model

from bundle import load, predict

spec, model, preprocess = load()
Row = create_model("Row", **{name: (float, ...) for name in spec.get("fields", [])})


@bentoml.service(workers=1)
class Classifier:
    if spec["kind"] == "pixels":
        @bentoml.api
        def predict(self, instances: list[list[float]]) -> dict:
            probs = predict(model, preprocess(np.asarray(instances, dtype=np.float64)))
            return {"labels": [spec["classes"][int(k)] for k in probs.argmax(1)], "probabilities": probs.tolist()}
    else:
        @bentoml.api
        def predict(self, rows: list[Row]) -> dict:
            X = np.asarray([[getattr(r, name) for name in spec["fields"]] for r in rows], dtype=np.float64)
            probs = predict(model, preprocess(X))
            return {"labels": [spec["classes"][int(k)] for k in probs.argmax(1)], "probabilities": probs.tolist()}
