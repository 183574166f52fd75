"""The MLflow 3 peer: the benchmark model saved as an MLflow pyfunc model (a PythonModel, cloudpickled by MLflow, with
the bundle as an artifact), served by `mlflow models serve --env-manager local`.
`python mlflow_model.py BUNDLE OUT` writes the model directory."""

from __future__ import annotations

import sys

import mlflow.pyfunc
import numpy as np
import pandas as pd


class Classifier(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        sys.path.insert(0, context.artifacts["code"])
        from bundle import load, predict

        self.spec, self.model, self.preprocess = load(context.artifacts["bundle"])
        self.predict_probs = predict

    def predict(self, context, model_input, params=None):
        if isinstance(model_input, pd.DataFrame):
            X = model_input[self.spec["fields"]].to_numpy(dtype=np.float64) if self.spec["kind"] != "pixels" \
                else model_input.to_numpy(dtype=np.float64)
        else:
            X = np.asarray(model_input, dtype=np.float64)
        return self.predict_probs(self.model, self.preprocess(X))


if __name__ == "__main__":
    from pathlib import Path

    bundle, out = sys.argv[1], sys.argv[2]
    mlflow.pyfunc.save_model(out, python_model=Classifier(),
                             artifacts={"bundle": bundle, "code": str(Path(__file__).resolve().parent)})
