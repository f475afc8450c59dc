"""The datasets nbcnn knows by name: their classes, the folder formats they come in, and where to download them."""
from dataclasses import dataclass

from .errors import DataError
from .mnist import IDX_NEEDED

MNIST_CLASSES = tuple(str(digit) for digit in range(10))
FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                         "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass(frozen=True)
class DatasetSpec:
    name: str
    layouts: tuple[str, ...]    # folder formats that may hold it (see layouts.py), preferred first
    classes: tuple[str, ...]    # used when the files carry no label names
    checksums: dict[str, str]   # file to download -> official MD5 (a 64-digit value is taken as SHA256)
    mirrors: tuple[str, ...]    # base URLs, tried in order
    needed: str                 # what a user must provide by hand, for error messages


DATASETS = {
    "mnist": DatasetSpec(
        "mnist", ("idx",), MNIST_CLASSES,
        {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
         "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
         "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
         "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
        # torchvision's mirror, then TensorFlow Datasets' (CVDF). The original host, yann.lecun.com, has answered
        # every file with 403 since 2024 (torchvision, ludwig and red-datasets trackers): trying it only
        # lengthened the error a failed download prints.
        ("https://ossci-datasets.s3.amazonaws.com/mnist/",
         "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        IDX_NEEDED),
    "fashion-mnist": DatasetSpec(
        "fashion-mnist", ("idx",), FASHION_MNIST_CLASSES,
        {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
         "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
         "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
         "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"},
        ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
         "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        IDX_NEEDED),
    # The binary version, cifar-10-binary.tar.gz (MD5 c32a1d4ab5d03f1284b67883e8d87530), is read too if present.
    "cifar10": DatasetSpec(
        "cifar10", ("cifar10-python", "cifar10-binary", "image-folder"), CIFAR10_CLASSES,
        {"cifar-10-python.tar.gz": "c58f30108f718f92721af3b95e74349a"},
        ("https://www.cs.toronto.edu/~kriz/",),
        "cifar-10-python.tar.gz, or its folder cifar-10-batches-py/ (data_batch_1..5, test_batch), "
        "or the binary version cifar-10-binary.tar.gz / cifar-10-batches-bin/ (data_batch_1..5.bin, test_batch.bin), "
        "or the images as files: train/CLASS/*.png|jpg and test/CLASS/*.png|jpg"),
    "cifar100": DatasetSpec(
        "cifar100", ("cifar100-python",), tuple(str(i) for i in range(100)),
        {"cifar-100-python.tar.gz": "eb9058c3a382ffc7106e4002c42a8d85"},
        ("https://www.cs.toronto.edu/~kriz/",),
        "cifar-100-python.tar.gz, or its folder cifar-100-python/ (train, test, meta)"),
}

_ALIASES = {"fashion_mnist": "fashion-mnist", "fashionmnist": "fashion-mnist",
            "cifar-10": "cifar10", "cifar_10": "cifar10", "cifar-100": "cifar100", "cifar_100": "cifar100"}


def is_known(name) -> bool:
    key = str(name).lower()
    return _ALIASES.get(key, key) in DATASETS


def get_spec(name: str) -> DatasetSpec:
    """The spec of a dataset by name or alias (case-insensitive)."""
    key = str(name).lower()
    key = _ALIASES.get(key, key)
    if key not in DATASETS:
        raise DataError(f"unknown dataset {name!r}; known: {', '.join(DATASETS)}")
    return DATASETS[key]
