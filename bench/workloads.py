"""What each benchmark row runs, written once over a small adapter per framework.

`workload(row, fw)` returns (step, work): calling `step()` runs the row's unit of work once and `work` says how
much that unit is (images, or floating-point operations for the conv-layer rows). Inputs are the same seeded
NumPy arrays on both sides.
"""
import numpy as np

import networks

CONV = dict(n=32, c=64, k=64, hw=56)  # the 3×3 conv layer of the issue: N=32, C=K=64, 56×56, pad 1
MATMUL = 2048


class Nbcnn:
    name = "nbcnn"

    def __init__(self):
        import nbcnn
        self.lib, self.nn, self.F = nbcnn, nbcnn.nn, nbcnn.nn.functional
        self.no_grad = nbcnn.no_grad
        nbcnn.manual_seed(0)

    def tensor(self, a, requires_grad=False):
        return self.lib.tensor(a, requires_grad=requires_grad)

    def sgd(self, params):
        return self.lib.optim.SGD(params, lr=0.01, momentum=0.9)


class Torch:
    name = "torch"

    def __init__(self):
        import torch
        torch.set_num_threads(2)
        torch.manual_seed(0)
        self.lib, self.nn, self.F = torch, torch.nn, torch.nn.functional
        self.no_grad = torch.no_grad

    def tensor(self, a, requires_grad=False):
        return self.lib.tensor(a, requires_grad=requires_grad)

    def sgd(self, params):
        return self.lib.optim.SGD(params, lr=0.01, momentum=0.9)


class NbcnnFolded(Nbcnn):
    """nbcnn's inference path: forward rows run nbcnn.optimize_for_inference's model (batch norm folded)."""
    name = "nbcnn-folded"

    def inference(self, net, batch):
        model, shape, classes = networks.build(net, self.nn)
        model = self.lib.optimize_for_inference(model, (batch,) + shape)
        x, _ = _batch(shape, classes, batch, self)

        def step():
            with self.no_grad():
                model(x)
        return step


class OnnxRuntime:
    """ONNX Runtime on nbcnn's model exported by nbcnn.interop.export_onnx (the same network, weights seeded
    alike), 2 intra-op threads, all graph optimisations (its fusions included)."""
    name = "ort"

    def __init__(self):
        import onnxruntime
        import nbcnn
        nbcnn.manual_seed(0)
        self.ort, self.nbcnn = onnxruntime, nbcnn

    def inference(self, net, batch):
        from nbcnn.interop import export_onnx
        model, shape, classes = networks.build(net, self.nbcnn.nn)
        proto = export_onnx(model, (batch,) + shape)
        options = self.ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = 2, 1
        session = self.ort.InferenceSession(proto.SerializeToString(), options, providers=["CPUExecutionProvider"])
        x = np.random.default_rng(0).standard_normal((batch,) + shape).astype(np.float32)
        name = session.get_inputs()[0].name
        return lambda: session.run(None, {name: x})


FRAMEWORKS = {"nbcnn": Nbcnn, "torch": Torch, "nbcnn-folded": NbcnnFolded, "ort": OnnxRuntime}


def _batch(shape, classes, batch, fw):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch,) + shape).astype(np.float32)
    y = rng.integers(0, classes, batch)
    return fw.tensor(x), fw.tensor(y)


def train_step(net, batch, fw):
    model, shape, classes = networks.build(net, fw.nn)
    opt = fw.sgd(model.parameters())
    x, y = _batch(shape, classes, batch, fw)

    def step():
        opt.zero_grad()
        loss = fw.F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
    return step, batch


def forward(net, batch, fw):
    if hasattr(fw, "inference"):  # a framework with an inference path of its own
        return fw.inference(net, batch), batch
    model, shape, classes = networks.build(net, fw.nn)
    model.eval()
    x, _ = _batch(shape, classes, batch, fw)

    def step():
        with fw.no_grad():
            model(x)
    return step, batch


def conv_layer(backward, fw):
    n, c, k, hw = CONV["n"], CONV["c"], CONV["k"], CONV["hw"]
    rng = np.random.default_rng(0)
    x = fw.tensor(rng.standard_normal((n, c, hw, hw)).astype(np.float32), requires_grad=backward)
    w = fw.tensor((rng.standard_normal((k, c, 3, 3)) * 0.05).astype(np.float32), requires_grad=backward)
    b = fw.tensor(np.zeros(k, np.float32), requires_grad=backward)
    g = fw.tensor(rng.standard_normal((n, k, hw, hw)).astype(np.float32))
    flops = 2.0 * n * k * c * 9 * hw * hw * (3 if backward else 1)

    def step():
        if backward:
            x.grad = w.grad = b.grad = None
            fw.F.conv2d(x, w, b, 1, 1).backward(g)
        else:
            with fw.no_grad():
                fw.F.conv2d(x, w, b, 1, 1)
    return step, flops


def matmul(fw):
    """NumPy's float32 product for nbcnn (what its kernels call), torch.mm for PyTorch: the BLAS ceiling."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((MATMUL, MATMUL)).astype(np.float32) for _ in range(2))
    if fw.name == "torch":
        a, b = fw.lib.from_numpy(a), fw.lib.from_numpy(b)
        return (lambda: fw.lib.mm(a, b)), 2.0 * MATMUL ** 3
    return (lambda: np.matmul(a, b)), 2.0 * MATMUL ** 3


def workload(row, fw):
    kind, *args = ROWS[row]
    return kind(*args, fw)


# name: (workload, arguments...); the units and targets are in run.py
ROWS = {
    "lenet_train_b64": (train_step, "lenet5", 64),
    "lenet_train_b256": (train_step, "lenet5", 256),
    "lenet_infer_b256": (forward, "lenet5", 256),
    "resnet18_cifar_train_b128": (train_step, "resnet18_cifar", 128),
    "vgg16_cifar_train_b128": (train_step, "vgg16_cifar", 128),
    "resnet20_train_b128": (train_step, "resnet20", 128),
    "resnet20b_train_b128": (train_step, "resnet20_b", 128),
    "resnet56_train_b128": (train_step, "resnet56", 128),
    "resnet18_fwd_b1": (forward, "resnet18", 1),
    "vgg16_fwd_b1": (forward, "vgg16", 1),
    "vgg16_fwd_b8": (forward, "vgg16", 8),
    "resnet34_fwd_b8": (forward, "resnet34", 8),
    "conv_fwd": (conv_layer, False),
    "conv_fwdbwd": (conv_layer, True),
    "matmul": (matmul,),
}
