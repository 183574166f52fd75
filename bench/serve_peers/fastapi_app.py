"""The FastAPI + pydantic + torch peer: one POST /predict of one row, validated by a pydantic model (54 named floats,
or 784 pixels), answered with the label and the probabilities. `uvicorn fastapi_app:app` with BENCH_BUNDLE set."""

from __future__ import annotations

import numpy as np
from fastapi import FastAPI
from pydantic import BaseModel, Field, create_model

from bundle import load, predict

spec, model, preprocess = load()
app = FastAPI()

if spec["kind"] == "pixels":
    class Row(BaseModel):
        pixels: list[float] = Field(min_length=784, max_length=784)

    def features(row) -> np.ndarray:
        return np.asarray([row.pixels], dtype=np.float64)
else:
    Row = create_model("Row", **{name: (float, ...) for name in spec["fields"]})

    def features(row) -> np.ndarray:
        return np.asarray([[getattr(row, name) for name in spec["fields"]]], dtype=np.float64)


@app.post("/predict")
def predict_row(row: Row) -> dict:
    probs = predict(model, preprocess(features(row)))[0]
    return {"label": spec["classes"][int(probs.argmax())], "probabilities": probs.tolist()}


@app.get("/health")
def health() -> dict:
    return {"ok": True}
