"""airbench's augmentations: translation by padding and cropping, and derandomised (alternating) flips."""
import numpy as np
import pytest

from nbcnn.data import DataLoader, random_translate
from nbcnn.data.loader import epoch_rng


@pytest.fixture
def images():
    return np.random.default_rng(3).integers(0, 256, (12, 2, 6, 6), np.uint8)


@pytest.mark.parametrize("mode, np_mode", [("reflect", "reflect"), ("zero", "constant")])
def test_translate_is_a_shifted_window_of_the_padded_image(images, mode, np_mode):
    out = random_translate(images, np.random.default_rng(0), padding=2, mode=mode)
    padded = np.pad(images, ((0, 0), (0, 0), (2, 2), (2, 2)), mode=np_mode)
    shifts = set()
    for image, source in zip(out, padded):
        found = [(dy, dx) for dy in range(5) for dx in range(5) if np.array_equal(image, source[:, dy:dy + 6,
                                                                                              dx:dx + 6])]
        assert found, "not a crop of the padded image"
        shifts.add(found[0])
    assert len(shifts) > 3  # the offsets vary
    np.testing.assert_array_equal(out, random_translate(images, np.random.default_rng(0), 2, mode))


def mirrored(batch, images):
    """Per served image: True if it is images[k] mirrored, False if images[k] itself."""
    return [next(m for k in range(len(images)) for m, view in ((False, images[k]), (True, images[k][..., ::-1]))
                 if np.array_equal(x, view)) for x in batch]


def test_alternating_flips_show_each_image_both_ways_every_two_epochs(images):
    loader = DataLoader(images, np.arange(12), 5, seed=4, alternate_flips=True)
    served = []
    for epoch in range(3):
        loader.set_epoch(epoch)
        batch = np.concatenate([x for x, _ in loader])
        served.append(np.array(mirrored((batch * 255).round().astype(np.uint8), images)))
    assert 0 < served[0].sum() < 12
    np.testing.assert_array_equal(served[1], ~served[0])
    np.testing.assert_array_equal(served[2], served[0])


def test_alternating_flips_follow_the_example_through_shuffling_and_resume(images):
    loader = DataLoader(images, np.arange(12), 5, shuffle=True, seed=4, alternate_flips=True,
                        augment=lambda x, rng: x)
    flip_set = epoch_rng(4, 0, 2).random(12) < 0.5
    loader.set_epoch(1)
    whole = list(loader)
    for x, y in whole:
        expected = np.where(~flip_set[y][:, None, None, None], images[y][..., ::-1], images[y])
        np.testing.assert_array_equal((x * 255).round().astype(np.uint8), expected)
    loader.set_epoch(1, start_batch=1)
    for (a, _), (b, _) in zip(list(loader), whole[1:]):
        np.testing.assert_array_equal(a, b)
