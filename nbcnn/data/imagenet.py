"""What a model trained on ImageNet by someone else expects: its 1000 class names, in the order of the logits,
and torchvision's evaluation preprocessing (shorter side resized to 256, centre crop 224, then the mean/std below
through nbcnn.data.normalize). Pillow does the resizing, as torchvision does for PIL images."""
from functools import lru_cache
from importlib import resources

import numpy as np

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
RESIZE, CROP = 256, 224


@lru_cache(maxsize=1)
def imagenet_classes():
    """The 1000 ImageNet-1k class names, synonyms comma-separated ('tabby, tabby cat'), index = logit."""
    text = resources.files(__package__).joinpath("imagenet_classes.txt").read_text(encoding="utf-8")
    return tuple(text.splitlines())


def resize_and_crop(image, resize=RESIZE, crop=CROP):
    """uint8 (3, crop, crop) from a PIL image: shorter side scaled to `resize` (bilinear, antialiased when
    shrinking, the longer side truncated as torchvision's Resize does), then the centre crop."""
    from PIL import Image
    image = image.convert("RGB")
    w, h = image.size
    if w <= h:
        size = (resize, int(resize * h / w))
    else:
        size = (int(resize * w / h), resize)
    image = image.resize(size, Image.BILINEAR)
    w, h = image.size
    if min(w, h) < crop:
        raise ValueError(f"resize {resize} is smaller than the crop {crop}")
    top, left = int(round((h - crop) / 2.0)), int(round((w - crop) / 2.0))
    array = np.asarray(image.crop((left, top, left + crop, top + crop)), dtype=np.uint8)
    return np.ascontiguousarray(array.transpose(2, 0, 1))
