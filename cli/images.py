"""Images read for a model: as uint8 (C, H, W) of the size it takes, with an error naming the file otherwise."""
import click


def read_for(weights_are_torch, path, meta):
    """ImageNet's evaluation crop for a .pth model, a plain resize to the checkpoint's input size otherwise."""
    if weights_are_torch:
        return read_imagenet(path)
    return read_image(path, (meta["in_channels"], *meta["input_size"]))


def pillow(path):
    try:
        from PIL import Image
    except ImportError:
        raise click.ClickException(f"{path}: reading images needs Pillow (pip install 'nbcnn[image]'); "
                                   f".npy arrays work without it") from None
    return Image


def read_imagenet(path):
    """uint8 (3, 224, 224) by ImageNet's evaluation preprocessing; a .npy array of that shape is taken as it is."""
    import numpy as np

    from nbcnn.data.imagenet import CROP, resize_and_crop
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
        if array.shape == (3, CROP, CROP) and array.dtype == np.uint8:
            return array
        if array.ndim != 3 or array.shape[-1] != 3 or array.dtype != np.uint8:
            raise click.ClickException(f"{path}: expected uint8 pixels H×W×3 (or 3×{CROP}×{CROP}), got "
                                       f"{array.dtype} {array.shape}")
        return resize_and_crop(pillow(path).fromarray(array))
    with pillow(path).open(path) as image:
        return resize_and_crop(image)


def read_image(path, shape):
    """uint8 (C, H, W) of the shape the model takes, or an error naming the file."""
    import numpy as np
    c, h, w = shape
    if path.suffix.lower() == ".npy":
        array = np.load(path, allow_pickle=False)
    else:
        with pillow(path).open(path) as image:
            array = np.asarray(image.convert("L" if c == 1 else "RGB").resize((w, h)))
    if array.ndim == 2:
        array = array[None]
    elif array.ndim == 3 and array.shape[-1] in (1, 3) and array.shape[0] not in (1, 3):
        array = array.transpose(2, 0, 1)
    if array.shape != (c, h, w):
        raise click.ClickException(f"{path}: expected an image of shape {c}x{h}x{w}, got {array.shape}")
    if array.dtype != np.uint8:
        raise click.ClickException(f"{path}: expected uint8 pixels, got {array.dtype}")
    return array
