"""Model directories for the runtime, export and server tests: small tables (numeric, bool and categorical columns
with missing values, an id column), text, image folders and pixel arrays, trained briefly by the torch path and
saved by `multiclass.persistence` (the files the runtime must read)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from multiclass import data
from multiclass.decisions import DecisionConfig
from multiclass.persistence import save_model
from multiclass.training import TrainConfig
from multiclass.jobs import fit_dataset

QUICK = TrainConfig(epochs=3, batch_size=64, lr=0.01, val_split=0.25, verbose=False)
CITIES = ["Lima", "Quito", "Bogotá", "La Paz", "Santiago"]


def table_frame(n: int, seed: int = 0) -> pd.DataFrame:
    """Rows with every kind of table column: numeric (with missing), a constant, bool (with missing), categorical
    (with missing and rare categories), an id column and a 3-class label that depends on them."""
    rng = np.random.default_rng(seed)
    age = rng.normal(40, 12, n).round(1)
    income = rng.lognormal(10, 1, n).round(2)
    member = rng.random(n) < 0.4
    city = rng.choice(CITIES, n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    score = (age - 40) / 12 + member * 1.5 + (city == "Quito") - (city == "Lima") + rng.normal(0, 0.7, n)
    label = np.where(score > 0.8, "high", np.where(score < -0.5, "low", "mid"))
    frame = pd.DataFrame({
        "id": [f"r{i:05d}" for i in range(n)],
        "age": age, "income": income, "constant": np.ones(n),
        "member": np.where(member, "True", "False").astype(object),
        "city": city.astype(object), "label": label,
    })
    frame.loc[rng.random(n) < 0.08, "age"] = np.nan
    frame.loc[rng.random(n) < 0.05, "member"] = np.nan
    frame.loc[rng.random(n) < 0.05, "city"] = np.nan
    return frame


def train_table(folder: Path, *, decision: DecisionConfig | None = None, hidden=(8,), activation="relu",
                n: int = 600, name: str = "table_model") -> Path:
    """A table model saved at ``folder/name`` (its training CSV at ``folder/name.csv``)."""
    csv_path = folder / f"{name}.csv"
    table_frame(n).to_csv(csv_path, index=False)
    dataset = data.load_dataset(csv_path, target="label", id_column="id", categorical=["city"])
    trained = fit_dataset(dataset, hidden=hidden, activation=activation, config=QUICK, decision=decision,
                          recipe="seed").trained
    return save_model(trained, folder / name)


def text_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    words = {"sport": ["gol", "partido", "equipo", "liga", "canción"], "music": ["canción", "disco", "banda", "Niño"],
             "tech": ["código", "red", "datos", "modelo", "equipo"]}
    labels = rng.choice(list(words), n)
    texts = [" ".join(rng.choice(words[lab], rng.integers(1, 7))) + rng.choice(["", "!", " y más", " NA"])
             for lab in labels]
    frame = pd.DataFrame({"doc": [f"d{i}" for i in range(n)], "body": texts, "topic": labels})
    frame.loc[rng.random(n) < 0.05, "body"] = np.nan
    return frame


def train_text(folder: Path, *, n: int = 300, ngram_range=(1, 2), sublinear_tf: bool = True) -> Path:
    """A text model (`load_text`'s defaults: sublinear tf; raw counts with ``sublinear_tf=False``)."""
    name = "text_model" if sublinear_tf else "text_model_raw"
    csv_path = folder / f"{name}.csv"
    text_frame(n).to_csv(csv_path, index=False)
    dataset = data.load_dataset(csv_path, target="topic", id_column="doc", text_column="body", ngram_range=ngram_range,
                                sublinear_tf=sublinear_tf)
    trained = fit_dataset(dataset, hidden=(6,), activation="tanh", config=QUICK, recipe="seed").trained
    return save_model(trained, folder / name)


def write_images(root: Path, n_per_class: int = 6, seed: int = 0) -> Path:
    """root/<class>/<i>.png: red-ish and blue-ish RGB images of a few sizes, some greyscale, one RGBA."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    for label, base in (("red", (200, 40, 40)), ("blue", (40, 40, 200))):
        for i in range(n_per_class):
            size = (6, 5) if i % 3 else (9, 7)
            pixels = np.clip(np.array(base) + rng.integers(-30, 30, (size[1], size[0], 3)), 0, 255).astype(np.uint8)
            image = Image.fromarray(pixels, "RGB")
            if i == 1:
                image = image.convert("RGBA")
            elif i == 2:
                image = image.convert("L")
            (root / label).mkdir(parents=True, exist_ok=True)
            image.save(root / label / f"{i}.png")
    return root


def train_images(folder: Path) -> Path:
    root = write_images(folder / "images")
    dataset = data.load_dataset(root)
    trained = fit_dataset(dataset, hidden=(5,), activation="gelu", config=QUICK, recipe="seed").trained
    return save_model(trained, folder / "image_model")


def train_pixels(folder: Path, *, standardize: bool = False) -> Path:
    """A model of 4x4 'pixel' arrays read from an npz file (a `scale` or `standardize` preprocessor)."""
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, 240)
    X = np.clip(rng.normal(60 * y[:, None, None], 40, (240, 4, 4)), 0, 255).astype(np.uint8)
    path = folder / "pixels.npz"
    np.savez(path, X=X, y=y)
    dataset = data.load_dataset(path)
    if standardize:
        pre = data.StandardizePreprocessor().fit(X.reshape(len(X), -1))
        dataset = data.Dataset(pre.transform(X.reshape(len(X), -1)), dataset.y, dataset.classes,
                               pre.feature_names_, str(path), "npz", pre, target_dtype=dataset.target_dtype)
    trained = fit_dataset(dataset, hidden=(7, 5), activation="elu", config=QUICK, recipe="seed").trained
    return save_model(trained, folder / ("std_model" if standardize else "pixel_model"))
