#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Convert a binarized PyTorch model and check it against PyTorch, in one process.

The README's "Convert your PyTorch model" walk-through as one script, on the
`bnn` Python package (CI runs it, so the README cannot rot):

    PYTHONPATH=build/python /usr/bin/python3 examples/convert_pytorch.py

(or without PYTHONPATH once the package is installed: `cmake --install build`
or the python3-bnn package).

1. a Bi-Real-style binarized network, written the way people train it;
2. bnn.convert on the module (exported to ONNX in memory, then converted);
3. the engine's output next to PyTorch's on a batch;
4. the model saved, loaded again and asked about a picture.
"""
import os
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    import bnn
except ImportError:  # run from a checkout: the build tree's package
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "build", "python"))
    import bnn


class Binarize(nn.Module):
    """Forward: x >= 0 -> +1, else -1 (exactly the engine's rule); backward: straight through."""

    def forward(self, x):
        return x + (torch.where(x >= 0, 1.0, -1.0) - x).detach()


class BinaryConv2d(nn.Conv2d):
    """Weights sign(W) * mean|W| per output channel; straight-through gradient."""

    def forward(self, x):
        scale = self.weight.abs().mean(dim=(1, 2, 3), keepdim=True).detach()
        w = self.weight + (scale * torch.where(self.weight >= 0, 1.0, -1.0) - self.weight).detach()
        return F.conv2d(x, w, None, self.stride, self.padding)


class Block(nn.Module):
    """Bi-Real: binarize -> binary 3x3 conv -> batchnorm, plus a real-valued shortcut."""

    def __init__(self, channels):
        super().__init__()
        self.binarize = Binarize()
        self.conv = BinaryConv2d(channels, channels, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(channels)

    def forward(self, x):
        return self.bn(self.conv(self.binarize(x))) + x


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32))
        self.blocks = nn.Sequential(Block(32), nn.MaxPool2d(2), Block(32), Block(32))
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.blocks(self.stem(x))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def main():
    torch.manual_seed(0)
    model = Net().eval()  # in practice: load your trained weights here
    with torch.no_grad():  # give batchnorm some statistics, as training would
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.5, 0.5)
                m.running_var.uniform_(0.5, 2.0)
    images = torch.randn(4, 1, 28, 28)

    # 2. Convert: the preprocessing a picture gets is stored in the model.
    engine = bnn.convert(model, example_input=images[:1], color="grey", mean=0.5, std=0.25,
                         labels=[f"class {i}" for i in range(10)])
    print(engine)

    # 3. Run and compare.
    ours = engine.run(images.numpy())
    with torch.no_grad():
        theirs = model(images).numpy()
    print("engine top-1: ", ours.argmax(1), "\nPyTorch top-1:", theirs.argmax(1))
    print(f"max |logit difference|: {np.abs(ours - theirs).max():.2e}")
    assert (ours.argmax(1) == theirs.argmax(1)).all() and np.abs(ours - theirs).max() < 1e-3

    # 4. Save, load as bnn-classify would, classify a picture.
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "net.bnn")
        engine.save(path)
        loaded = bnn.Model(path, threads=2)
        np.testing.assert_array_equal(loaded.run(images.numpy()), ours)
        picture = os.path.join(os.path.dirname(os.path.abspath(__file__)), "images", "sneaker.png")
        print("sneaker.png:", loaded.classify(picture, top=2), "(an untrained network: any class)")


if __name__ == "__main__":
    main()
