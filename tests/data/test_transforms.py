import numpy as np
import pytest

from nbcnn.data.transforms import channel_stats, normalize, random_crop_flip


@pytest.fixture
def images():
    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (40, 3, 8, 8), np.uint8)
    images[:, 2] //= 4  # channels with different statistics
    return images


def test_channel_stats_match_float64_reference(images):
    mean, std = channel_stats(images)
    scaled = images.astype(np.float64) / 255
    assert mean.dtype == std.dtype == np.float32 and mean.shape == std.shape == (3,)
    np.testing.assert_allclose(mean, scaled.mean(axis=(0, 2, 3)), rtol=1e-6)
    np.testing.assert_allclose(std, scaled.std(axis=(0, 2, 3)), rtol=1e-6)
    assert mean[2] < mean[0] / 2


def test_normalize_uses_train_stats_on_any_split(images):
    mean, std = channel_stats(images[:30])
    out = normalize(images[30:], mean, std)
    expected = (images[30:] / 255 - mean[None, :, None, None]) / std[None, :, None, None]
    assert out.dtype == np.float32 and out.shape == (10, 3, 8, 8)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    train = normalize(images[:30], mean, std)
    np.testing.assert_allclose(train.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(train.std(axis=(0, 2, 3)), 1, atol=1e-4)


@pytest.mark.parametrize("mean, std", [([0.5, 0.5], [1, 1, 1]), ([0, 0, 0], [1, 0, 1])])
def test_normalize_rejects_bad_stats(images, mean, std):
    with pytest.raises(ValueError):
        normalize(images, mean, std)


def test_normalize_rejects_float_input(images):
    with pytest.raises(ValueError, match="uint8"):
        normalize(images.astype(np.float32), [0, 0, 0], [1, 1, 1])


def test_crop_flip_is_a_padded_crop_possibly_mirrored(images):
    out = random_crop_flip(images, np.random.default_rng(5), padding=2)
    assert out.shape == images.shape and out.dtype == np.uint8
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)))
    flips = offsets = 0
    for n in range(len(images)):
        crops = {(dy, dx): padded[n, :, dy:dy + 8, dx:dx + 8] for dy in range(5) for dx in range(5)}
        matches = [(dy, dx, flip) for (dy, dx), crop in crops.items() for flip in (False, True)
                   if np.array_equal(out[n], crop[..., ::-1] if flip else crop)]
        assert len(matches) == 1, n
        flips += matches[0][2]
        offsets += matches[0][:2] != (2, 2)
    assert 5 < flips < 35 and offsets > 20  # both flips and shifts actually happen


def test_crop_flip_is_deterministic_per_generator_state(images):
    first = random_crop_flip(images, np.random.default_rng(7))
    assert np.array_equal(first, random_crop_flip(images, np.random.default_rng(7)))
    assert not np.array_equal(first, random_crop_flip(images, np.random.default_rng(8)))
