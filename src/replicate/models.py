"""The papers' architectures, each able to return its activations at named probe points.

Every network is a :class:`Probed` sequence of named stages. ``net(x)`` gives logits;
``net(x, probes=True)`` gives ``{probe name: activation}`` from the same single pass,
ordered input first and softmax last (Baldock et al. 2021, App. A.5).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

ARCHS = ("mlp", "fc", "vgg16", "resnet18", "stvgg", "small_stvgg", "lenet5")


class Probed(nn.Module):
    """A feed-forward net of named stages whose outputs at ``probe_names`` can be read out."""

    def __init__(self, stages: list[tuple[str, nn.Module]], probe_names: list[str]):
        super().__init__()
        self.stages = nn.ModuleDict(stages)
        unknown = set(probe_names) - set(self.stages)
        if unknown:
            raise ValueError(f"probe points {sorted(unknown)} are not stages of this net")
        self.probe_names = ["input", *probe_names, "softmax"]

    def forward(self, x: torch.Tensor, probes: bool = False):
        acts = {"input": x.flatten(1)} if probes else None
        for name, stage in self.stages.items():
            x = stage(x)
            if probes and name in self.probe_names:
                acts[name] = x.flatten(1)
        if not probes:
            return x
        acts["softmax"] = x.softmax(-1)
        return acts


class Dropout(nn.Dropout):
    """Dropout that draws its masks from ``generator`` when one is set, or applies ``mask`` when the
    batched engine sets one: each ensemble member gets its own masks, so members stepped on
    parallel threads, or beside other members, stay reproducible."""

    def __init__(self, p: float):
        super().__init__(p)
        self.generator: torch.Generator | None = None
        self.mask: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.mask is not None:  # set by the batched engine: keep-mask already scaled
            return x * self.mask
        if self.generator is None or not self.training:
            return super().forward(x)
        keep = torch.empty_like(x).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep / (1 - self.p)


class WSConv2d(nn.Conv2d):
    """Convolution with Weight Standardization (Qiao et al. 2019), as in Baldock App. A.2.1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = self.weight
        mean = w.mean(dim=(1, 2, 3), keepdim=True)
        var = w.var(dim=(1, 2, 3), keepdim=True, unbiased=False)
        return self._conv_forward(x, (w - mean) / torch.sqrt(var + 1e-5), self.bias)


class BasicBlock(nn.Module):
    """ResNet basic block with GroupNorm and WS convolutions; its output is the block sum."""

    def __init__(self, c_in: int, c_out: int, stride: int, groups: int):
        super().__init__()
        self.conv1 = WSConv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.gn1 = nn.GroupNorm(groups, c_out)
        self.conv2 = WSConv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.gn2 = nn.GroupNorm(groups, c_out)
        self.shortcut = nn.Identity()
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(WSConv2d(c_in, c_out, 1, stride, bias=False), nn.GroupNorm(groups, c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = F.relu(self.gn1(self.conv1(x)))
        return self.gn2(self.conv2(h)) + self.shortcut(x)


def _w(n: int, width: float) -> int:
    return max(1, int(round(n * width)))


def _act(linear: bool) -> nn.Module:
    return nn.Identity() if linear else nn.ReLU()


def mlp(in_shape, n_classes, width=1.0, depth=7, hidden=2048, dropout=0.0, linear=False) -> Probed:
    """MLP of ``depth`` hidden dense layers (Baldock A.2.3: 7 x 2048); probes after each dense op."""
    stages, probes, d = [("flatten", nn.Flatten())], [], math.prod(in_shape)
    for i in range(depth):
        h = _w(hidden, width)
        stages += [(f"fc{i + 1}", nn.Linear(d, h)), (f"act{i + 1}", _act(linear))]
        if dropout:
            stages.append((f"drop{i + 1}", Dropout(dropout)))
        probes.append(f"fc{i + 1}")
        d = h
    stages.append(("out", nn.Linear(d, n_classes)))
    return _he(Probed(stages, probes + ["out"]))


def fc(in_shape, n_classes, width=1.0, depth=2, hidden=1024, dropout=0.5, linear=False) -> Probed:
    """Hacohen App. B fully connected net: 2 x 1024 with 0.5 dropout after each layer."""
    return mlp(in_shape, n_classes, width, depth, hidden, dropout, linear)


def _conv_stack(cfg, c_in, width, *, kernel=None, dropout=0.0, linear=False, pool="max", bias=True):
    """Conv stages from a VGG-style cfg: ints are 3x3 (or (c, k)) convs, "M" pools."""
    stages, probes, n, s = [], [], 0, 0
    for item in cfg:
        if item == "M":
            s += 1
            stages.append((f"pool{s}", nn.MaxPool2d(2) if pool == "max" else nn.AvgPool2d(2)))
            if dropout:
                stages.append((f"drop{s}", Dropout(dropout)))
            continue
        c, k = item if isinstance(item, tuple) else (item, kernel or 3)
        n += 1
        c_out = _w(c, width)
        stages += [(f"conv{n}", _same_conv(c_in, c_out, k, bias)), (f"act{n}", _act(linear))]
        probes.append(f"conv{n}")
        c_in = c_out
    return stages, probes, c_in


def _same_conv(c_in: int, c_out: int, k: int, bias: bool) -> nn.Module:
    """Stride-1 convolution with Keras' "same" padding (the extra pad of even kernels goes right/bottom)."""
    if k % 2:
        return nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=bias)
    return nn.Sequential(nn.ZeroPad2d((k // 2 - 1, k // 2, k // 2 - 1, k // 2)), nn.Conv2d(c_in, c_out, k, bias=bias))


def _spatial_after(in_shape, stages) -> int:
    with torch.no_grad():
        return nn.Sequential(*(m for _, m in stages))(torch.zeros(1, *in_shape)).numel()


def vgg16(in_shape, n_classes, width=1.0, linear=False) -> Probed:
    """VGG16 without BN, dropout or dense head (Baldock A.2.2); probes after each conv.

    Pools that would shrink the map below 1 x 1 (28 x 28 inputs) are left out.
    """
    cfg = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"]
    size, kept = in_shape[-1], []
    for item in cfg:
        if item == "M":
            if size < 2:
                continue
            size //= 2
        kept.append(item)
    stages, probes, _ = _conv_stack(kept, in_shape[0], width, linear=linear, pool="avg" if linear else "max")
    stages += [("flatten", nn.Flatten()), ("out", nn.Linear(_spatial_after(in_shape, stages), n_classes))]
    return _he(Probed(stages, probes))


def resnet18(in_shape, n_classes, width=1.0, groups=None) -> Probed:
    """ResNet18 (CIFAR variant) with GroupNorm and Weight Standardization (Baldock A.2.1).

    Probes after the initial GroupNorm and at the end of each of the 8 blocks.
    """
    c = [_w(64 * 2**i, width) for i in range(4)]
    g = groups or min(32, c[0] // 2 or 1)
    stages = [("conv1", WSConv2d(in_shape[0], c[0], 3, 1, 1, bias=False)), ("gn1", nn.GroupNorm(g, c[0])), ("relu1", nn.ReLU())]
    probes, c_in = ["gn1"], c[0]
    for s, c_out in enumerate(c):
        for b in range(2):
            name = f"block{s + 1}_{b + 1}"
            stages += [(name, BasicBlock(c_in, c_out, 2 if (b == 0 and s > 0) else 1, g)), (f"{name}_relu", nn.ReLU())]
            probes.append(name)
            c_in = c_out
    stages += [("pool", nn.AdaptiveAvgPool2d(1)), ("flatten", nn.Flatten()), ("out", nn.Linear(c_in, n_classes))]
    return Probed(stages, probes)


def _stvgg(cfg, fc_units, in_shape, n_classes, width, dropout, linear) -> Probed:
    stages, probes, _ = _conv_stack(
        cfg, in_shape[0], width, dropout=0.25 if dropout else 0.0, linear=linear, pool="avg" if linear else "max"
    )
    stages.append(("flatten", nn.Flatten()))
    h = _w(fc_units, width)
    stages += [("fc", nn.Linear(_spatial_after(in_shape, stages), h)), ("fc_act", _act(linear))]
    if dropout:
        stages.append(("fc_drop", Dropout(0.5)))
    stages.append(("out", nn.Linear(h, n_classes)))
    return _xavier(Probed(stages, probes + ["fc", "out"]))


def stvgg(in_shape, n_classes, width=1.0, dropout=True, linear=False) -> Probed:
    """st-VGG (Hacohen App. B): convs 32,32,64,64,128,128 (3x3), 256,256 (2x2), dense 512.

    ``linear=True`` gives the linear st-VGG of Sec. 4.2 (identity activations, average pooling).
    """
    cfg = [32, 32, "M", 64, 64, "M", 128, 128, "M", (256, 2), (256, 2), "M"]
    return _stvgg(cfg, 512, in_shape, n_classes, width, dropout, linear)


def small_stvgg(in_shape, n_classes, width=1.0, dropout=True, linear=False) -> Probed:
    """Small st-VGG (Hacohen App. B): convs 32,32,64,64 (3x3), dense 128."""
    return _stvgg([32, 32, "M", 64, 64, "M"], 128, in_shape, n_classes, width, dropout, linear)


def lenet5(in_shape, n_classes, width=1.0) -> Probed:
    """LeNet5 (LeCun et al. 1998) as in Pliushch et al.: conv 6, conv 16 (5x5), dense 120, 84."""
    c1, c2 = _w(6, width), _w(16, width)
    stages = [
        ("conv1", nn.Conv2d(in_shape[0], c1, 5, padding=2 if in_shape[-1] == 28 else 0)),
        ("act1", nn.ReLU()),
        ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(c1, c2, 5)),
        ("act2", nn.ReLU()),
        ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
    ]
    h1, h2 = _w(120, width), _w(84, width)
    stages += [
        ("fc1", nn.Linear(_spatial_after(in_shape, stages), h1)),
        ("act3", nn.ReLU()),
        ("fc2", nn.Linear(h1, h2)),
        ("act4", nn.ReLU()),
        ("out", nn.Linear(h2, n_classes)),
    ]
    return Probed(stages, ["conv1", "conv2", "fc1", "fc2", "out"])


def _init(net: Probed, weight) -> Probed:
    """Every dense and conv layer's weights from ``weight`` (an ``nn.init`` function), biases zero."""
    for m in net.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            weight(m.weight)
            nn.init.zeros_(m.bias)
    return net


def _he(net: Probed) -> Probed:
    """He-normal weights (fan in, ReLU gain): without batch norm, PyTorch's default scale shrinks
    the signal in every layer and a 13-conv VGG16 does not start learning."""
    return _init(net, lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu"))


def _xavier(net: Probed) -> Probed:
    """Glorot-uniform weights, the Keras defaults Hacohen et al. trained with."""
    return _init(net, nn.init.xavier_uniform_)


_BUILDERS = {"mlp": mlp, "fc": fc, "vgg16": vgg16, "resnet18": resnet18, "stvgg": stvgg, "small_stvgg": small_stvgg, "lenet5": lenet5}


def build(arch: str, in_shape: tuple[int, ...], n_classes: int, width: float = 1.0, **options) -> Probed:
    """Build ``arch`` for inputs of ``in_shape`` (C, H, W); ``options`` are the builder's keywords."""
    if arch not in _BUILDERS:
        raise ValueError(f"arch={arch!r} is not known; allowed: {', '.join(ARCHS)}")
    if width <= 0:
        raise ValueError(f"width={width} must be > 0 (1.0 is the paper's width)")
    try:
        return _BUILDERS[arch](tuple(in_shape), n_classes, width, **options)
    except TypeError as e:
        raise ValueError(f"bad option for arch={arch!r}: {e}") from None


def has_dropout(arch: str, width: float = 1.0, **options) -> bool:
    """Whether ``arch`` built with ``options`` has dropout layers (built on the meta device: no memory, no compute)."""
    with torch.device("meta"):
        net = build(arch, (3, 32, 32), 10, width, **options)
    return any(isinstance(m, nn.Dropout) for m in net.modules())


def is_convolutional(arch: str) -> bool:
    """Whether ``arch`` contains convolutions (decides the training engine on a CPU)."""
    return arch not in ("mlp", "fc")
