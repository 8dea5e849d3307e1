#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Checkpoint presets against PyTorch, run live.

    checkpoints.py ARCH --bin build/bin

For ARCH, a PyTorch model with exactly the public code's module names (its
binarizers' forward made `x >= 0 -> +1`, which the engine is exact on) gets
random weights and realistic batchnorm statistics, and is saved four ways:
torch.save(model.state_dict()); wrapped as {"state_dict": ...} with
DataParallel's "module." prefix (and an optimizer entry that must be ignored
with a warning); as safetensors (written by the few lines below); and as an
ONNX export. Each is converted by bnn-convert and run by bnn-run on the same
batch. Passes when every checkpoint form matches PyTorch like the ONNX parity
suite does, and the checkpoint and ONNX conversions hold identical constants
(the same checksum over every packed weight bit, threshold and float
parameter) and give identical outputs.
"""
import argparse
import collections
import json
import math
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models as suite  # noqa: E402
import other_nets  # noqa: E402

failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


# ---------------------------------------------------------------- Bi-Real-Net
# liuzechun/Bi-Real-net pytorch_implementation/BiReal18_34/birealnet.py @ 27cf653,
# names and forward as published; BinaryActivation's forward is x >= 0 -> +1.

class BinaryActivation(nn.Module):
    def forward(self, x):
        return torch.where(x >= 0, 1.0, -1.0)


class HardBinaryConv(nn.Module):
    def __init__(self, in_chn, out_chn, kernel_size=3, stride=1, padding=1):
        super().__init__()
        self.stride = stride
        self.padding = padding
        self.number_of_weights = in_chn * out_chn * kernel_size * kernel_size
        self.shape = (out_chn, in_chn, kernel_size, kernel_size)
        self.weights = nn.Parameter(torch.rand((self.number_of_weights, 1)) * 0.001, requires_grad=True)

    def forward(self, x):
        real_weights = self.weights.view(self.shape)
        scaling_factor = torch.mean(torch.mean(torch.mean(abs(real_weights), dim=3, keepdim=True), dim=2, keepdim=True),
                                    dim=1, keepdim=True).detach()
        binary_weights = scaling_factor * torch.sign(real_weights)
        return F.conv2d(x, binary_weights, stride=self.stride, padding=self.padding)


class BiRealBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.binary_activation = BinaryActivation()
        self.binary_conv = HardBinaryConv(inplanes, planes, stride=stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        residual = x
        out = self.bn1(self.binary_conv(self.binary_activation(x)))
        if self.downsample is not None:
            residual = self.downsample(x)
        return out + residual


class BiRealNet(nn.Module):
    def __init__(self, layers, widths, num_classes, block=BiRealBlock):
        super().__init__()
        self.inplanes = widths[0]
        self.block = block
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(widths[0], layers[0])
        self.layer2 = self._make_layer(widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(widths[3], layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(widths[3], num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.AvgPool2d(kernel_size=2, stride=stride),
                                       nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=1, bias=False),
                                       nn.BatchNorm2d(planes))
        layers = [self.block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [self.block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.bn1(self.conv1(x)))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ------------------------------------------------------- ReActNet (ResNet-based)
# liuzechun/ReActNet resnet/2_step2/birealnet.py @ 341f5ef, its eval-mode
# forward; BinaryActivation's forward is x >= 0 -> +1.

class LearnableBias(nn.Module):
    def __init__(self, out_chn):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, out_chn, 1, 1), requires_grad=True)

    def forward(self, x):
        return x + self.bias.reshape([-1, 1, 1])


class ReActHardBinaryConv(nn.Module):
    def __init__(self, in_chn, out_chn, kernel_size=3, stride=1, padding=1):
        super().__init__()
        self.stride = stride
        self.padding = padding
        self.shape = (out_chn, in_chn, kernel_size, kernel_size)
        self.weight = nn.Parameter(torch.rand(self.shape) * 0.001, requires_grad=True)

    def forward(self, x):
        real_weights = self.weight
        scaling_factor = torch.mean(torch.mean(torch.mean(abs(real_weights), dim=3, keepdim=True), dim=2, keepdim=True),
                                    dim=1, keepdim=True)
        y = F.conv2d(x, torch.sign(real_weights), stride=self.stride, padding=self.padding)
        return y * scaling_factor.reshape([-1, 1, 1])


class ReActBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.move0 = LearnableBias(inplanes)
        self.binary_activation = BinaryActivation()
        self.binary_conv = ReActHardBinaryConv(inplanes, planes, stride=stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.move1 = LearnableBias(planes)
        self.prelu = nn.PReLU(planes)
        self.move2 = LearnableBias(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        residual = x
        out = self.bn1(self.binary_conv(self.binary_activation(self.move0(x))))
        if self.downsample is not None:
            residual = self.downsample(x)
        out += residual
        return self.move2(self.prelu(self.move1(out)))


# ---------------------------------------------------------------- IR-Net
# htqin/IR-Net ImageNet/ResNet18/1w1a models/resnet.py and modules/ir_1w1a.py
# @ 831282f: BinaryQuantize's forward is sign; here the input's is x >= 0 ->
# +1. The published forward ends in LogSoftmax; this copy stops at fc (the
# preset's output), which has the same order.

class IRConv2d(nn.Conv2d):
    def forward(self, input):
        w = self.weight
        a = input
        bw = w - w.view(w.size(0), -1).mean(-1).view(w.size(0), 1, 1, 1)
        bw = bw / bw.view(bw.size(0), -1).std(-1).view(bw.size(0), 1, 1, 1)
        sw = torch.pow(torch.tensor([2] * bw.size(0)).float(),
                       (torch.log(bw.abs().view(bw.size(0), -1).mean(-1)) / math.log(2)).round().float()
                       ).view(bw.size(0), 1, 1, 1).detach()
        bw = torch.sign(bw)
        ba = torch.where(a >= 0, 1.0, -1.0)
        bw = bw * sw
        return F.conv2d(ba, bw, self.bias, self.stride, self.padding, self.dilation, self.groups)


class IRBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = IRConv2d(inplanes, planes, kernel_size=3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.nonlinear = nn.Hardtanh(inplace=True)
        self.conv2 = IRConv2d(planes, planes, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        residual = x
        out = self.bn1(self.conv1(x))
        if self.downsample is not None:
            residual = self.downsample(x)
        out += residual
        out = self.nonlinear(out)
        residual = out
        out = self.bn2(self.conv2(out))
        out += residual
        return self.nonlinear(out)


class IRResNet(nn.Module):
    def __init__(self, layers, widths, num_classes):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.nonlinear1 = nn.Hardtanh(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(widths[0], layers[0])
        self.layer2 = self._make_layer(widths[1], layers[1], stride=2)
        self.layer3 = self._make_layer(widths[2], layers[2], stride=2)
        self.layer4 = self._make_layer(widths[3], layers[3], stride=2)
        self.avgpool = nn.AvgPool2d(7, stride=1)
        self.bn2 = nn.BatchNorm1d(widths[3])
        self.nonlinear2 = nn.Hardtanh(inplace=True)
        self.fc = nn.Linear(widths[3], num_classes)
        self.bn3 = nn.BatchNorm1d(num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, kernel_size=1, stride=stride, bias=False),
                                       nn.BatchNorm2d(planes))
        layers = [IRBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [IRBlock(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.nonlinear1(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x)
        x = x.view(x.size(0), -1)
        return F.log_softmax(self.fc(self.bn2(x)), dim=1)  # the published nn.LogSoftmax(dim=1)


# ---------------------------------------------------------------- ReActNet-A
# tests/parity/other_nets.py's ReActNetA carries the published names; the
# published step-2 HardBinaryConv stores its weight flat (HardBinaryConv above),
# and BinaryActivation is x >= 0 -> +1 as above.

# ---------------------------------------------------------------- binary-networks-pytorch
# 1adrianb/binary-networks-pytorch @ 51bdeee: torchvision's resnet18 after
# prepare_binary_model with BasicInputBinarizer (sign), XNORWeightBinarizer
# (center_weights=True, as the README recipe) and BasicScaleBinarizer (alpha);
# conv1 and fc left real (ignore_layers_name), the downsample conv binarized.
# Module names as torchvision and the library give them.

class SignInput(nn.Module):
    def forward(self, x):
        return torch.sign(x)


class XnorWeight(nn.Module):
    def forward(self, w):
        w = w.sub(w.mean(1, keepdim=True).expand_as(w))
        n = w[0].nelement()
        alpha = w.norm(1, 3, keepdim=True).sum([2, 1], keepdim=True).div(n)
        return torch.sign(w).mul(alpha.expand_as(w))


class ScaleAlpha(nn.Module):
    def __init__(self, channels):
        super().__init__()
        self.alpha = nn.Parameter(torch.ones(1, channels, 1, 1))

    def forward(self, y):
        return y.mul(self.alpha)


class BnnConv2d(nn.Conv2d):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.activation_pre_process = SignInput()
        self.activation_post_process = ScaleAlpha(self.out_channels)
        self.weight_pre_process = XnorWeight()

    def forward(self, x):
        y = F.conv2d(self.activation_pre_process(x), self.weight_pre_process(self.weight), None, self.stride,
                     self.padding)
        return self.activation_post_process(y)


class TorchvisionBlock(nn.Module):
    """torchvision's BasicBlock with its convs made by `conv(in, out, kernel, stride, padding)`."""

    def __init__(self, inplanes, planes, conv, stride=1, downsample=None):
        super().__init__()
        self.conv1, self.bn1 = conv(inplanes, planes, 3, stride, 1), nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2, self.bn2 = conv(planes, planes, 3, 1, 1), nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.downsample is not None:
            identity = self.downsample(x)
        return self.relu(out + identity)


class TorchvisionResNet18(nn.Module):
    """torchvision's resnet18 names and forward; the blocks' convs (downsample's too)
    come from `conv`, the head is `avgpool` and `fc`."""

    def __init__(self, widths, num_classes, conv=lambda i, o, k, s, p: BnnConv2d(i, o, k, s, p, bias=False),
                 avgpool=lambda: nn.AdaptiveAvgPool2d((1, 1)), fc=nn.Linear):
        super().__init__()
        self.inplanes = widths[0]
        self.conv1 = nn.Conv2d(3, widths[0], 7, 2, 3, bias=False)
        self.bn1, self.relu, self.maxpool = nn.BatchNorm2d(widths[0]), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(widths[0], conv, 1)
        self.layer2 = self._make_layer(widths[1], conv, 2)
        self.layer3 = self._make_layer(widths[2], conv, 2)
        self.layer4 = self._make_layer(widths[3], conv, 2)
        self.avgpool = avgpool()
        self.fc = fc(widths[3], num_classes)

    def _make_layer(self, planes, conv, stride):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(conv(self.inplanes, planes, 1, stride, 0), nn.BatchNorm2d(planes))
        layers = [TorchvisionBlock(self.inplanes, planes, conv, stride, downsample)]
        self.inplanes = planes
        layers.append(TorchvisionBlock(planes, planes, conv))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


# ---------------------------------------------------------------- DoReFa, torchvision layout
# Jzz24/pytorch_quantization models/resnet_imagenet.py and model_utils/quant_dorefa.py
# @ 0c2d93c: QuanConv quantizes its input as round(clamp(0.1 x, 0, 1) * n) / n
# and its weights as DoReFa's; conv1 real; an 8-bit Linear_Q head.

def jzz_quantize(x, bits):
    n = 2 ** bits - 1
    return torch.round(x * n) / n


def jzz_weight(w, bits):
    if bits == 1:
        return torch.sign(w) * torch.mean(torch.abs(w))
    w = torch.tanh(w)
    w = w / (2 * torch.max(torch.abs(w))) + 0.5
    return 2 * jzz_quantize(w, bits) - 1


class QuanConv(nn.Conv2d):
    def __init__(self, *args, nbit_w=1, nbit_a=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.nbit_w, self.nbit_a = nbit_w, nbit_a

    def forward(self, x):
        x = jzz_quantize(torch.clamp(0.1 * x, 0, 1), self.nbit_a)
        return F.conv2d(x, jzz_weight(self.weight, self.nbit_w), self.bias, self.stride, self.padding)


class LinearQ(nn.Linear):
    def __init__(self, *args, nbit_w=8, nbit_a=1, **kwargs):
        super().__init__(*args, **kwargs)
        self.nbit_w, self.nbit_a = nbit_w, nbit_a

    def forward(self, x):
        x = jzz_quantize(torch.clamp(0.1 * x, 0, 1), self.nbit_a)
        return F.linear(x, jzz_weight(self.weight, self.nbit_w), self.bias)


def jzz_resnet18(widths, num_classes, wbit, abit):
    """Jzz24's resnet18: QuanConv everywhere but conv1, AvgPool2d(7), an 8-bit LinearQ head."""
    return TorchvisionResNet18(
        widths, num_classes,
        conv=lambda i, o, k, s, p: QuanConv(i, o, k, s, p, bias=False, nbit_w=wbit, nbit_a=abit),
        avgpool=lambda: nn.AvgPool2d(7, stride=1),
        fc=lambda i, o: LinearQ(i, o, nbit_w=8, nbit_a=abit))


ARCHS = {
    "bireal18": lambda widths, classes: BiRealNet([4, 4, 4, 4], widths, classes),
    "bireal34": lambda widths, classes: BiRealNet([6, 8, 12, 6], widths, classes),
    "reactnet18": lambda widths, classes: BiRealNet([4, 4, 4, 4], widths, classes, block=ReActBlock),
    "irnet18": lambda widths, classes: IRResNet([2, 2, 2, 2], widths, classes),
    "reactneta": lambda widths, classes: other_nets.ReActNetA(widths[0] // 2, classes, conv=HardBinaryConv,
                                                              binarizer=BinaryActivation),
    "xnor18-torchvision": lambda widths, classes: TorchvisionResNet18(widths, classes),
    "dorefa18-torchvision-w2a2": lambda widths, classes: jzz_resnet18(widths, classes, 2, 2),
    "dorefa18-torchvision-w1a1": lambda widths, classes: jzz_resnet18(widths, classes, 1, 1),
    # The parity suite's own layouts (tests/parity/models.py).
    "xnor18": lambda widths, classes: suite.ResNet(suite.XnorBlock, [2, 2, 2, 2], widths, classes=classes),
    "dorefa18-w1a2": lambda widths, classes: suite.ResNet(lambda i, o, s: suite.DoReFaBlock(i, o, s, 1, 2),
                                                          [2, 2, 2, 2], widths, classes=classes),
    "dorefa18-w2a2": lambda widths, classes: suite.ResNet(lambda i, o, s: suite.DoReFaBlock(i, o, s, 2, 2),
                                                          [2, 2, 2, 2], widths, classes=classes),
}
# Test name -> (preset, --bits)
PRESETS = {"dorefa18-w1a2": ("dorefa18", "1x2"), "dorefa18-w2a2": ("dorefa18", "2x2"),
           "xnor18-torchvision": ("xnor18", None), "dorefa18-torchvision-w2a2": ("dorefa18", "2x2"),
           "dorefa18-torchvision-w1a1": ("dorefa18", "1x1")}
# Test name -> extra bnn-convert flags for its checkpoint forms.
FLAGS = {"xnor18-torchvision": ["--center-weights"]}
# Heads with AvgPool2d(7) need a 7x7 final map.
SIZES = {"irnet18": "3x224x224", "dorefa18-torchvision-w2a2": "3x224x224", "dorefa18-torchvision-w1a1": "3x224x224"}


def randomize(model, seed):
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn(p.shape, generator=g) * (0.5 if p.dim() > 1 else 0.2))
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
                c = m.num_features
                m.weight.copy_(torch.randn(c, generator=g) * 0.5 + 0.8)
                m.weight[torch.rand(c, generator=g) < 0.15] *= -1
                m.bias.copy_(torch.randn(c, generator=g) * 0.3)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.3)
    return model.eval()


def save_safetensors(path, state_dict):
    """safetensors as its format note specifies: u64 header length, JSON, data."""
    header, data = {"__metadata__": {"format": "pt"}}, b""
    kinds = {torch.float32: "F32", torch.float16: "F16", torch.int64: "I64"}
    for k, t in state_dict.items():
        raw = t.contiguous().numpy().tobytes()
        header[k] = {"dtype": kinds[t.dtype], "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + data)


def run(*command):
    return subprocess.run(list(command), capture_output=True, text=True, stdin=subprocess.DEVNULL)


def checksum(bin_dir, model):
    info = run(os.path.join(bin_dir, "bnn-run"), "--info", model).stdout
    return info.split("(checksum ")[1].split(")")[0] if "(checksum " in info else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("arch", choices=sorted(ARCHS))
    parser.add_argument("--bin", required=True)
    parser.add_argument("--size")
    args = parser.parse_args()
    args.size = args.size or SIZES.get(args.arch, "3x64x64")
    torch.manual_seed(0)
    c, h, w = (int(v) for v in args.size.split("x"))
    preset, bits = PRESETS.get(args.arch, (args.arch, None))
    model = ARCHS[args.arch]([16, 24, 40, 72], 10)
    model = suite.randomize(model, seed=1) if args.arch.startswith(("xnor", "dorefa")) else randomize(model, seed=1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, ScaleAlpha):  # binary-networks-pytorch's learned output scale
                m.alpha.copy_(torch.rand(m.alpha.shape, generator=torch.Generator().manual_seed(3)) + 0.5)
            if args.arch.startswith("dorefa18-torchvision") and isinstance(m, nn.BatchNorm2d):
                # Its quantizers read 0.1 x: activations in 0..10 use every level.
                m.weight.mul_(6)
                m.bias.add_(4)
    x = torch.randn(2, c, h, w, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        reference = model(x).numpy()
    convert, bnn_run = os.path.join(args.bin, "bnn-convert"), os.path.join(args.bin, "bnn-run")

    # The preset's expected keys are the committed ones (taken from the public code).
    listing = run(convert, "--list-archs").stdout.split("\n")
    start = listing.index(next(line for line in listing if line.startswith(preset + ":")))
    preset_keys = []
    for line in listing[start + 1:]:
        if not line.startswith("    "):
            if preset_keys:
                break
            continue
        preset_keys.append(line.strip())
    keys_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", preset + ".keys")
    committed = [line.strip() for line in open(keys_file) if line.strip() and not line.startswith("#")]
    # The same keys and shapes; --list-archs lists them in the order the network reads them.
    missing, extra = sorted(set(committed) - set(preset_keys)), sorted(set(preset_keys) - set(committed))
    check(not missing and not extra and len(preset_keys) == len(committed),
          f"{args.arch}: --list-archs expects exactly tests/data/{args.arch}.keys ({len(preset_keys)} and "
          f"{len(committed)} keys; missing {missing[:3]}, extra {extra[:3]})")

    with tempfile.TemporaryDirectory() as tmp:
        np.save(os.path.join(tmp, "x.npy"), x.numpy())
        state = model.state_dict()
        torch.save(state, os.path.join(tmp, "plain.pt"))
        # Wrapped as the training code saves it (Jzz24's under model_state_dict, the others under state_dict).
        holder = "model_state_dict" if args.arch.startswith("dorefa18-torchvision") else "state_dict"
        wrapped = {"epoch": 7, holder: collections.OrderedDict(("module." + k, v) for k, v in state.items()),
                   "optimizer": torch.optim.SGD(model.parameters(), lr=0.1).state_dict(),
                   "args": argparse.Namespace(lr=0.1)}
        torch.save(wrapped, os.path.join(tmp, "wrapped.pt"))
        save_safetensors(os.path.join(tmp, "weights.safetensors"), state)
        # Exported with and without the exporter's constant folding (which also
        # fuses a batchnorm into the float conv before it, as the presets do).
        torch.onnx.export(model, x[:1], os.path.join(tmp, "model.onnx"), opset_version=13)
        torch.onnx.export(model, x[:1], os.path.join(tmp, "model_unfolded.onnx"), opset_version=13,
                          do_constant_folding=False)

        outputs, sums = {}, {}
        for form in ("plain.pt", "wrapped.pt", "weights.safetensors", "model.onnx", "model_unfolded.onnx"):
            source, bnn = os.path.join(tmp, form), os.path.join(tmp, form + ".bnn")
            flags = [] if form.endswith(".onnx") else ["--arch", preset, "--input", args.size] + (
                ["--bits", bits] if bits else []) + FLAGS.get(args.arch, [])
            r = run(convert, source, *flags, "-o", bnn)
            check(r.returncode == 0, f"{args.arch} {form}: converted ({r.stderr.strip().splitlines()[-1:]})")
            if r.returncode:
                print(r.stderr)
                continue
            if form == "wrapped.pt":
                check("ignored 'args' (uses argparse.Namespace" in r.stderr,
                      f"{form}: the unneeded argparse.Namespace entry is named in a warning")
            r = run(bnn_run, "--model", bnn, "--input", os.path.join(tmp, "x.npy"), "--output", bnn + ".npy")
            check(r.returncode == 0, f"{args.arch} {form}: ran")
            if r.returncode:
                print(r.stderr)
                continue
            y = np.load(bnn + ".npy")
            outputs[form], sums[form] = y, checksum(args.bin, bnn)
            error = np.abs(y - reference).max() / max(1e-6, np.abs(reference).max())
            check(error < 1e-5 and (y.argmax(1) == reference.argmax(1)).all(),
                  f"{args.arch} {form}: matches PyTorch (max error {error:.1e} of the largest logit, same top-1)")
        for onnx_form in ("model.onnx", "model_unfolded.onnx"):
            for form in ("plain.pt", "wrapped.pt", "weights.safetensors"):
                if form in outputs and onnx_form in outputs:
                    check(sums[form] == sums[onnx_form] and sums[form] is not None,
                          f"{args.arch} {form}: constants identical to {onnx_form}'s (checksum {sums[form]})")
                    check(np.array_equal(outputs[form], outputs[onnx_form]),
                          f"{args.arch} {form}: outputs bit-identical to {onnx_form}'s")

    print(f"{len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
