# SPDX-License-Identifier: Apache-2.0
"""Binarized and low-bit ResNets in the idioms people train them with.

Every binarizer and quantizer here is written the way it appears in the
papers' reference code (straight-through estimators with .detach(), Bi-Real's
ApproxSign, ReActNet's RSign and RPReLU, DoReFa's quantizers), so that
torch.onnx.export produces the graphs users will hand to bnn-convert.
Weights are random but realistic: batchnorm statistics are non-trivial and
some batchnorm scales are negative.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------- binarizers

class SignWhere(nn.Module):
    """x >= 0 -> +1, else -1, with a straight-through gradient (exact in the engine)."""

    def forward(self, x):
        return x + (torch.where(x >= 0, 1.0, -1.0) - x).detach()


class SignSTE(nn.Module):
    """torch.sign with a straight-through gradient (XNOR-Net style)."""

    def forward(self, x):
        return x + (torch.sign(x) - x).detach()


class ApproxSign(nn.Module):
    """Bi-Real-Net's binarizer: sign forward, a piecewise polynomial backward."""

    def forward(self, x):
        out_forward = torch.sign(x)
        mask1 = x < -1
        mask2 = x < 0
        mask3 = x < 1
        out1 = (-1) * mask1.type(torch.float32) + (x * x + 2 * x) * (1 - mask1.type(torch.float32))
        out2 = out1 * mask2.type(torch.float32) + (-x * x + 2 * x) * (1 - mask2.type(torch.float32))
        out3 = out2 * mask3.type(torch.float32) + 1 * (1 - mask3.type(torch.float32))
        return out_forward.detach() - out3.detach() + out3


class SignOfNonNegative(nn.Module):
    """torch.sign on an input that a ReLU or clamp made >= 0: {0, 1}, since sign(0) = 0
    (binary-networks-pytorch's recipe keeps the ReLU; DoReFa's 1-bit activation is sign(clamp(x, 0, 1)))."""

    def __init__(self, clamp=False):
        super().__init__()
        self.clamp = clamp

    def forward(self, x):
        if self.clamp:
            x = torch.clamp(x, 0, 1)
        return x + (torch.sign(x) - x).detach()


class RSign(nn.Module):
    """ReActNet's sign with a learned per-channel threshold."""

    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        x = x + self.bias
        return x + (torch.where(x >= 0, 1.0, -1.0) - x).detach()


class ExpandBias(nn.Module):
    """ReActNet's LearnableBias and BinaryNet's bias as their code writes them: x + bias.expand_as(x)."""

    def __init__(self, channels):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return x + self.bias.expand_as(x)


class RPReLU(nn.Module):
    """ReActNet's shifted PReLU: prelu(x - gamma) + zeta."""

    def __init__(self, channels):
        super().__init__()
        self.shift_in = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.prelu = nn.PReLU(channels, init=0.25)
        self.shift_out = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x):
        return self.prelu(x - self.shift_in) + self.shift_out


class DoReFaAct(nn.Module):
    """DoReFa's k-bit activation: round(clamp(x, 0, 1) * n) / n, n = 2^k - 1."""

    def __init__(self, bits):
        super().__init__()
        self.n = float(2 ** bits - 1)

    def forward(self, x):
        x = torch.clamp(x, 0, 1)
        return x + (torch.round(x * self.n) / self.n - x).detach()


# ---------------------------------------------------------------- convolutions

class BinConv2d(nn.Conv2d):
    """Binary weights sign(W) scaled per output channel by mean |W|, computed in the graph."""

    def forward(self, x):
        w = self.weight
        scale = w.abs().mean(dim=(1, 2, 3), keepdim=True).detach()
        bw = w + (scale * torch.sign(w) - w).detach()
        return F.conv2d(x, bw, self.bias, self.stride, self.padding, self.dilation, self.groups)


class SignFunction(torch.autograd.Function):
    """sign() as an autograd Function with a clipped straight-through backward
    (the binary-networks-pytorch library's activation binarizer)."""

    @staticmethod
    def forward(ctx, x):
        return x.sign()

    @staticmethod
    def backward(ctx, grad):
        return grad


class InputBinarizer(nn.Module):
    """The library's BasicInputBinarizer: a module around SignFunction."""

    def forward(self, x):
        return SignFunction.apply(x)


class XnorNormConv2d(nn.Conv2d):
    """The binary-networks-pytorch recipe's convolution: sign() of the input; weights
    optionally centred per output channel, then sign(W) * ||W||_1 / n written with
    norm(1, 3).sum([2, 1]) and expand_as; the output scaled by a learned alpha."""

    def __init__(self, *args, center_weights=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.center_weights = center_weights
        self.binarize_input = InputBinarizer()
        self.alpha = nn.Parameter(torch.ones(1, self.out_channels, 1, 1))

    def binary_weight(self):
        w = self.weight
        if self.center_weights:
            w = w.sub(w.mean(1, keepdim=True).expand_as(w))
        n = w[0].nelement()
        alpha = w.norm(1, 3, keepdim=True).sum([2, 1], keepdim=True).div(n)
        return SignFunction.apply(w).mul(alpha.expand_as(w))

    def forward(self, x):
        y = F.conv2d(self.binarize_input(x), self.binary_weight(), self.bias, self.stride, self.padding)
        return y.mul(self.alpha)


class FoldedBinConv2d(nn.Conv2d):
    """A plain convolution whose stored weights are already +-alpha per channel
    (what an export with the binarization folded in, or a cleaned checkpoint, holds)."""


class PACTAct(nn.Module):
    """PACT: clamp to a learned alpha, then k-bit uniform levels on [0, alpha]."""

    def __init__(self, bits):
        super().__init__()
        self.n = float(2 ** bits - 1)
        self.alpha = nn.Parameter(torch.tensor(2.0))

    def forward(self, x):
        y = torch.clamp(x, torch.zeros(()), self.alpha)
        return y + (torch.round(y * (self.n / self.alpha)) * (self.alpha / self.n) - y).detach()


class DoReFaConv2d(nn.Conv2d):
    """DoReFa's k-bit weights: 2 * quantize_k(tanh(W) / (2 max |tanh W|) + 1/2) - 1."""

    def __init__(self, *args, bits=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.n = float(2 ** bits - 1)
        self.bits = bits

    def forward(self, x):
        if self.bits == 1:
            e = self.weight.abs().mean()
            wq = torch.where(self.weight >= 0, 1.0, -1.0) * e
        else:
            w = torch.tanh(self.weight)
            w = w / (2 * w.abs().max()) + 0.5
            wq = 2 * (torch.round(w * self.n) / self.n) - 1
        wq = self.weight + (wq - self.weight).detach()
        return F.conv2d(x, wq, self.bias, self.stride, self.padding, self.dilation, self.groups)


def dorefa_weights(weight, bits):
    """DoReFa's k-bit weight levels (as DoReFaConv2d), for any layer."""
    n = float(2 ** bits - 1)
    w = torch.tanh(weight)
    w = w / (2 * w.abs().max()) + 0.5
    return weight + (2 * (torch.round(w * n) / n) - 1 - weight).detach()


class DoReFaLinear(nn.Linear):
    """A k-bit fully connected head on k-bit activations (DoReFa quantizes the classifier too)."""

    def __init__(self, *args, bits=2, **kwargs):
        super().__init__(*args, **kwargs)
        self.bits = bits
        self.act = DoReFaAct(bits)

    def forward(self, x):
        return F.linear(self.act(x), dorefa_weights(self.weight, self.bits), self.bias)


def downsample(cin, cout, stride, kind):
    if stride == 1 and cin == cout:
        return nn.Identity()
    if kind == "avgpool":  # Bi-Real / ReActNet
        layers = [nn.AvgPool2d(2, 2, ceil_mode=True)] if stride == 2 else []
        return nn.Sequential(*layers, nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))
    return nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


# ---------------------------------------------------------------- blocks

class XnorBlock(nn.Module):
    """batchnorm -> sign -> binary conv, twice; the first pair's batchnorm and
    sign fold into integer thresholds between the two binary layers."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.bn1, self.sign1 = nn.BatchNorm2d(cin), SignWhere()
        self.conv1 = BinConv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn2, self.sign2 = nn.BatchNorm2d(cout), SignSTE()
        self.conv2 = BinConv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(cout)
        if stride == 1 and cin == cout:
            self.shortcut = nn.Identity()
        else:  # a binary 1x1 stride-2 downsample
            self.shortcut = nn.Sequential(SignWhere(), BinConv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = self.conv1(self.sign1(self.bn1(x)))
        h = self.conv2(self.sign2(self.bn2(h)))
        return self.bn3(h) + self.shortcut(x)


class BiRealBlock(nn.Module):
    """A real-valued shortcut around every binary 3x3 conv."""

    def __init__(self, cin, cout, stride, sign=ApproxSign, conv=BinConv2d, hardtanh=False):
        super().__init__()
        self.sign = sign()
        self.conv = conv(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.shortcut = downsample(cin, cout, stride, "avgpool")
        self.hardtanh = hardtanh

    def forward(self, x):
        y = self.bn(self.conv(self.sign(x))) + self.shortcut(x)
        return F.hardtanh(y, -1.5, 1.5) if self.hardtanh else y


class ReActBlock(nn.Module):
    """RSign -> binary conv -> batchnorm -> + shortcut -> RPReLU."""

    def __init__(self, cin, cout, stride, expand_bias=False):
        super().__init__()
        self.sign = nn.Sequential(ExpandBias(cin), SignWhere()) if expand_bias else RSign(cin)
        self.conv = BinConv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.shortcut = downsample(cin, cout, stride, "avgpool")
        self.act = RPReLU(cout)

    def forward(self, x):
        return self.act(self.bn(self.conv(self.sign(x))) + self.shortcut(x))


class DaBNNBlock(nn.Module):
    """daBNN's idiom: binarize, pad explicitly with -1 (F.pad(value=-1)), then
    a padding-free binary conv, so the border taps are -1 rather than 0."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.sign = SignWhere()
        self.conv = BinConv2d(cin, cout, 3, stride, 0, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.shortcut = downsample(cin, cout, stride, "avgpool")

    def forward(self, x):
        return self.bn(self.conv(F.pad(self.sign(x), (1, 1, 1, 1), value=-1.0))) + self.shortcut(x)


class TorchvisionBinaryBlock(nn.Module):
    """torchvision's BasicBlock with its convs binarized in place, ReLUs kept (the
    binary-networks-pytorch recipe): each binary conv takes sign() of a ReLU's output."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.sign1, self.conv1 = SignSTE(), BinConv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.sign2, self.conv2 = SignSTE(), BinConv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = downsample(cin, cout, stride, "conv")

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(self.sign1(x))))
        h = self.bn2(self.conv2(self.sign2(h)))
        return F.relu(h + self.shortcut(x))


class BnnLibXnorBlock(nn.Module):
    """torchvision's BasicBlock after binary-networks-pytorch's prepare_binary_model with the
    XNOR recipe: every conv, the downsample's included, is an XnorNormConv2d; ReLUs kept."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1, self.bn1 = XnorNormConv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout)
        self.conv2, self.bn2 = XnorNormConv2d(cout, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(XnorNormConv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = self.bn2(self.conv2(h))
        return F.relu(h + (self.downsample(x) if self.downsample is not None else x))


class DoReFaBlock(nn.Module):
    """Pre-activation block with k-bit activations and weights."""

    def __init__(self, cin, cout, stride, wbits, abits, act=DoReFaAct):
        super().__init__()
        self.bn1, self.act1 = nn.BatchNorm2d(cin), act(abits)
        self.conv1 = DoReFaConv2d(cin, cout, 3, stride, 1, bias=False, bits=wbits)
        self.bn2, self.act2 = nn.BatchNorm2d(cout), act(abits)
        self.conv2 = DoReFaConv2d(cout, cout, 3, 1, 1, bias=False, bits=wbits)
        self.shortcut = downsample(cin, cout, stride, "conv")

    def forward(self, x):
        h = self.conv1(self.act1(self.bn1(x)))
        h = self.conv2(self.act2(self.bn2(h)))
        return h + self.shortcut(x)


# ---------------------------------------------------------------- networks

class ResNet(nn.Module):
    """A ResNet body: full-precision stem, four stages of `block`, pooled dense head."""

    def __init__(self, make_block, blocks, widths, classes=10, in_channels=3, stem_stride=2, maxpool=True,
                 stem_relu=True, stem_prelu=False, softmax=False, view_head=False, mean_head=False, fc=nn.Linear):
        super().__init__()
        self.view_head = view_head  # x.view(x.size(0), -1), as most training code flattens
        self.mean_head = mean_head  # x.mean(3).mean(2): global pooling as DoReFa's nets write it
        # Bi-Real-Net and ReActNet have no ReLU in the stem: sign(0) = 0 would
        # otherwise hit every zero the ReLU makes.
        self.stem = nn.Sequential(
            nn.Conv2d(in_channels, widths[0], 7 if stem_stride == 2 else 3, stem_stride,
                      3 if stem_stride == 2 else 1, bias=False),
            nn.BatchNorm2d(widths[0]),
            nn.PReLU(widths[0]) if stem_prelu else (nn.ReLU() if stem_relu else nn.Identity()))
        self.softmax = softmax
        self.pool = nn.MaxPool2d(3, 2, 1) if maxpool else nn.Identity()
        layers, cin = [], widths[0]
        for stage, (count, cout) in enumerate(zip(blocks, widths)):
            for i in range(count):
                layers.append(make_block(cin, cout, 2 if (i == 0 and stage > 0) else 1))
                cin = cout
        self.layers = nn.Sequential(*layers)
        self.head_bn = nn.BatchNorm2d(cin)
        self.fc = fc(cin, classes)

    def forward(self, x):
        x = self.layers(self.pool(self.stem(x)))
        if self.mean_head:
            x = self.fc(F.relu(self.head_bn(x)).mean(3).mean(2))
        else:
            x = F.adaptive_avg_pool2d(F.relu(self.head_bn(x)), 1)
            x = self.fc(x.view(x.size(0), -1) if self.view_head else torch.flatten(x, 1))
        return F.softmax(x, dim=1) if self.softmax else x


def randomize(model, seed):
    """Random weights with realistic batchnorm statistics (some scales negative)."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                c = m.num_features
                m.weight.copy_(torch.randn(c, generator=g) * 0.5 + 0.8)
                m.weight[torch.rand(c, generator=g) < 0.15] *= -1
                m.bias.copy_(torch.randn(c, generator=g) * 0.3)
                m.running_mean.copy_(torch.randn(c, generator=g) * 0.5)
                m.running_var.copy_(torch.rand(c, generator=g) * 1.5 + 0.3)
            elif isinstance(m, FoldedBinConv2d):
                w = torch.randn(m.weight.shape, generator=g)
                m.weight.copy_(torch.sign(w) * w.abs().mean(dim=(1, 2, 3), keepdim=True))
            elif isinstance(m, (nn.Conv2d, nn.Linear)):
                m.weight.copy_(torch.randn(m.weight.shape, generator=g) * (2.0 / m.weight[0].numel()) ** 0.5)
                if isinstance(m, XnorNormConv2d):
                    m.alpha.copy_(torch.rand(m.alpha.shape, generator=g) + 0.5)
                if m.bias is not None:
                    m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.1)
            elif isinstance(m, (RSign, ExpandBias)):
                m.bias.copy_(torch.randn(m.bias.shape, generator=g) * 0.2)
            elif isinstance(m, PACTAct):
                m.alpha.copy_(torch.rand((), generator=g) * 2 + 1)
            elif isinstance(m, nn.PReLU):
                m.weight.copy_(torch.rand(m.weight.shape, generator=g) * 0.3)
            elif isinstance(m, RPReLU):
                m.shift_in.copy_(torch.randn(m.shift_in.shape, generator=g) * 0.2)
                m.shift_out.copy_(torch.randn(m.shift_out.shape, generator=g) * 0.2)
                m.prelu.weight.copy_(torch.rand(m.prelu.weight.shape, generator=g) * 0.3)
    return model.eval()


def family(name, small):
    """The model called `name`; `small` uses narrow stages for a quick CI run."""
    wide = [64, 128, 256, 512]
    widths = [16, 24, 40, 72] if small else wide
    if name in ("irnet-cifar-resnet20", "binarynet-vgg", "reactnet-a"):
        import other_nets  # noqa: E402 (it imports this module's binarizers)
        if name == "irnet-cifar-resnet20":
            return other_nets.IRNetCifarResNet20((16, 32, 64) if small else (16, 32, 64))
        if name == "binarynet-vgg":
            return other_nets.BinaryNetVGG((16, 32, 48) if small else (128, 256, 512))
        return other_nets.ReActNetA(8 if small else 32)
    if name == "xnor-resnet18":
        return ResNet(XnorBlock, [2, 2, 2, 2], widths)
    if name == "bireal-resnet18":
        return ResNet(BiRealBlock, [4, 4, 4, 4], widths, stem_relu=False)
    if name == "bireal-resnet34":
        return ResNet(BiRealBlock, [6, 8, 12, 6], widths, stem_relu=False)
    if name == "reactnet-resnet18":
        return ResNet(ReActBlock, [4, 4, 4, 4], widths, stem_relu=False)
    if name == "reactnet-original-resnet18":  # the ReActNet repository's idioms: expand_as biases, view head
        return ResNet(lambda i, o, s: ReActBlock(i, o, s, expand_bias=True), [4, 4, 4, 4], widths, stem_relu=False,
                      view_head=True)
    if name == "dabnn-resnet18":  # explicit -1 padding before padding-free binary convs
        return ResNet(DaBNNBlock, [2, 2, 2, 2], widths, stem_relu=False)
    if name == "bnnlib-resnet18":  # ReLUs kept, so every sign() reads a value >= 0
        return ResNet(TorchvisionBinaryBlock, [2, 2, 2, 2], widths)
    if name == "bnnlib-xnor-resnet18":  # the library's README recipe: centred XNOR weights, sign() inputs
        return ResNet(BnnLibXnorBlock, [2, 2, 2, 2], widths, view_head=True)
    if name == "dorefa-resnet18-w1a1":  # DoReFa's 1-bit activation: sign(clamp(x, 0, 1))
        return ResNet(lambda i, o, s: DoReFaBlock(i, o, s, 1, 1, act=lambda bits: SignOfNonNegative(clamp=True)),
                      [2, 2, 2, 2], widths)
    if name == "dorefa-resnet18-w2a2-fc":  # mean-pooled head and a 2-bit fully connected classifier
        return ResNet(lambda i, o, s: DoReFaBlock(i, o, s, 2, 2), [2, 2, 2, 2], widths, mean_head=True,
                      fc=lambda i, o: DoReFaLinear(i, o, bits=2))
    if name == "dorefa-resnet18-w1a2":
        return ResNet(lambda i, o, s: DoReFaBlock(i, o, s, 1, 2), [2, 2, 2, 2], widths)
    if name == "dorefa-resnet18-w2a2":
        return ResNet(lambda i, o, s: DoReFaBlock(i, o, s, 2, 2), [2, 2, 2, 2], widths)
    if name == "dorefa-w4a4-layer":  # W4A4 with PACT activations (a learned clipping level)
        return ResNet(lambda i, o, s: DoReFaBlock(i, o, s, 4, 4, act=PACTAct), [1, 1, 1, 1], widths)
    if name == "odd-channels":
        # Odd widths; Bi-Real blocks with pre-folded +-alpha weights and hardtanh, an XNOR stage,
        # a PReLU stem and a softmax head.
        def block(i, o, s):
            if o == 40:
                return XnorBlock(i, o, s)
            return BiRealBlock(i, o, s, sign=SignWhere, conv=FoldedBinConv2d, hardtanh=True)
        return ResNet(block, [1, 2, 1, 1], [24, 40, 72, 100], in_channels=3, stem_stride=1, maxpool=False,
                      stem_prelu=True, softmax=True)
    raise ValueError(f"unknown family {name}")
