"""multiclass.data.images: class folders of PNG/JPEG -> fixed size and mode -> pixels in [0, 1]."""

import numpy as np
import pytest
from PIL import Image

from multiclass.data import (
    ImagePreprocessor,
    TfidfPreprocessor,
    load_dataset,
    load_for_prediction,
    load_images,
)
from multiclass.exceptions import ConfigError, DataError, ModelFileError

from .data_helpers import (
    assert_dataset_invariants,
    assert_same_bytes,
    make_image,
    make_image_folder,
    through_model_file,
)


@pytest.fixture
def folder(tmp_path):
    return make_image_folder(tmp_path / "pets")


def test_png_and_jpeg_of_mixed_sizes_load_at_the_most_common_size(folder):
    ds = load_dataset(folder)
    assert_dataset_invariants(ds)
    assert ds.kind == "images" and ds.classes == ("cat", "dog")
    assert ds.image_shape == (4, 6, 3) and ds.X.shape == (5, 72)  # 6x4 wins 4 to 1; RGB
    assert ds.ids.tolist() == ["cat/a.png", "cat/b.png", "cat/c.png", "dog/d.jpg", "dog/e.jpeg"]
    np.testing.assert_array_equal(ds.y, [0, 0, 0, 1, 1])
    assert 0 <= ds.X.min() and ds.X.max() <= 1
    first = ds.X[0].reshape(4, 6, 3)
    assert first[0, 0].tolist() == [0, 0, 0]  # the dark pixel
    np.testing.assert_allclose(first[1, 1], np.array([200, 30, 30]) / 255, rtol=1e-6)  # PNG is lossless
    resized = ds.X[4].reshape(4, 6, 3)  # the 10x8 JPEG, shrunk with the bilinear filter
    assert resized[..., 2].mean() > 0.7 and resized[..., 0].mean() < 0.3


def test_state_round_trip_is_byte_identical(folder):
    ds = load_images(folder)
    again = load_for_prediction(folder, through_model_file(ds.preprocessor), classes=ds.classes)
    assert_same_bytes(ds.X, again.X)
    np.testing.assert_array_equal(again.y, ds.y)
    assert ds.preprocessor.state() == ({"height": 4, "width": 6, "mode": "RGB", "resample": "bilinear"}, {})


def test_flat_folder_is_accepted_for_prediction_with_file_names_as_ids(folder, tmp_path):
    trained = load_images(folder)
    flat = tmp_path / "new"
    make_image(flat / "x.png", size=(3, 3), mode="L", color=(90,))
    make_image(flat / "y.jpg", size=(6, 4))
    ds = load_for_prediction(flat, trained.preprocessor, classes=trained.classes)
    assert ds.y is None and ds.ids.tolist() == ["x.png", "y.jpg"]
    assert ds.X.shape == (2, 72)  # greyscale 3x3 converted to RGB 6x4
    with pytest.raises(DataError, match=r"new: no class sub-folders; training needs one folder of images per class\.$"):
        load_images(flat)


def test_greyscale_majority_gives_one_channel_and_alpha_goes_on_white(tmp_path):
    make_image(tmp_path / "a" / "1.png", size=(2, 2), mode="L", color=(10,))
    make_image(tmp_path / "a" / "2.png", size=(2, 2), mode="L", color=(20,))
    transparent = Image.new("RGBA", (2, 2), (0, 0, 0, 0))
    (tmp_path / "b").mkdir()
    transparent.save(tmp_path / "b" / "3.png")
    ds = load_images(tmp_path)
    assert ds.image_shape == (2, 2, 1)
    assert ds.X[2].tolist() == [1.0] * 4  # fully transparent black -> white


def test_size_and_mode_overrides(folder):
    ds = load_images(folder, size=(3, 5), mode="L")
    assert ds.image_shape == (3, 5, 1)
    with pytest.raises(ConfigError, match=r"`size` must be \(height, width\) with positive ints; got \(0, 5\)\."):
        load_images(folder, size=(0, 5))
    with pytest.raises(ConfigError, match=r"`mode` must be 'L' or 'RGB'; got 'CMYK'\."):
        load_images(folder, mode="CMYK")


def test_non_image_file_is_named(folder):
    (folder / "dog" / "notes.txt").write_text("not a picture")
    with pytest.raises(DataError, match=r"dog/notes\.txt: not an image Pillow can read\.$"):
        load_images(folder)


def test_truncated_image_is_named(folder):
    good = (folder / "cat" / "a.png").read_bytes()
    (folder / "cat" / "z.png").write_bytes(good[: len(good) // 2])
    with pytest.raises(DataError, match=r"cat/z\.png: "):
        load_images(folder)


def test_empty_class_folder_is_named(folder):
    (folder / "bird").mkdir()
    (folder / "bird" / ".DS_Store").write_bytes(b"\0")  # hidden files do not count as images
    with pytest.raises(DataError, match=r"pets/bird: class folder 'bird' holds no images\.$"):
        load_images(folder)


def test_stray_file_and_unseen_class_folder(folder, tmp_path):
    trained = load_images(folder)
    (folder / "README.md").write_text("hi")
    with pytest.raises(DataError, match=r"README\.md: stray file beside the class folders"):
        load_images(folder)
    other = tmp_path / "other"
    make_image(other / "fox" / "f.png")
    with pytest.raises(DataError, match=r"other: class folders: labels never seen in training: 'fox'; the model knows"):
        load_for_prediction(other, trained.preprocessor, classes=trained.classes)
    with pytest.raises(DataError, match=r"nowhere: no such file or folder, and not a built-in dataset"):
        load_dataset(tmp_path / "nowhere")


def test_image_from_state_validates():
    with pytest.raises(ModelFileError, match=r"preprocessor 'image': parameter 'mode' must be 'L' or 'RGB'; got 'P'\."):
        ImagePreprocessor.from_state({"height": 2, "width": 2, "mode": "P", "resample": "bilinear"}, {})
    with pytest.raises(ModelFileError, match=r"parameter 'resample' must be 'bilinear'; got 'lanczos'\."):
        ImagePreprocessor.from_state({"height": 2, "width": 2, "mode": "L", "resample": "lanczos"}, {})


def test_missing_or_empty_folder_and_wrong_preprocessor(tmp_path, folder):
    with pytest.raises(DataError, match=r"absent: no such folder\.$"):
        load_images(tmp_path / "absent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match=r"empty: the folder holds no images\.$"):
        load_images(tmp_path / "empty")
    text_model = TfidfPreprocessor().fit(["a b"])
    with pytest.raises(ConfigError, match=r"`preprocessor` must be an ImagePreprocessor; got TfidfPreprocessor\.$"):
        load_images(folder, preprocessor=text_model)
    with pytest.raises(ConfigError, match=r"`size` and `mode` apply only when fitting"):
        load_images(folder, preprocessor=load_images(folder).preprocessor, size=(2, 2))
