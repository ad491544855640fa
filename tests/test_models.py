import pytest
import torch

from replicate import models


@pytest.mark.parametrize("arch", models.ARCHS)
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
def test_every_arch_gives_logits_and_probes_in_one_pass(arch, shape):
    net = models.build(arch, shape, 7, width=0.25).eval()
    x = torch.randn(3, *shape)
    logits = net(x)
    acts = net(x, probes=True)
    assert logits.shape == (3, 7)
    assert list(acts) == net.probe_names
    assert net.probe_names[0] == "input" and net.probe_names[-1] == "softmax"
    assert torch.allclose(acts["softmax"], logits.softmax(-1))
    assert torch.equal(acts["input"], x.flatten(1))
    assert all(a.shape[0] == 3 and a.dim() == 2 for a in acts.values())


def test_probe_points_follow_baldock_appendix_a5():
    vgg = models.build("vgg16", (3, 32, 32), 10, width=0.125)
    assert len(vgg.probe_names) == 15  # input, 13 convolutions, softmax: PD at most 14 (Fig. 6)
    resnet = models.build("resnet18", (3, 32, 32), 10, width=0.125)
    assert resnet.probe_names[1] == "gn1" and len(resnet.probe_names) == 11  # input, GN, 8 block sums, softmax
    mlp = models.build("mlp", (1, 28, 28), 10, width=0.01)
    assert mlp.probe_names == ["input", *[f"fc{i}" for i in range(1, 8)], "out", "softmax"]


def test_width_multiplier_and_linear_variant():
    small = models.build("stvgg", (1, 28, 28), 10, width=0.5)
    full = models.build("stvgg", (1, 28, 28), 10, width=1.0)
    assert small.stages["conv1"].out_channels == 16 and full.stages["conv1"].out_channels == 32
    lin = models.build("stvgg", (1, 28, 28), 10, width=0.25, linear=True, dropout=False).eval()
    assert not any(isinstance(m, (torch.nn.ReLU, torch.nn.MaxPool2d)) for m in lin.modules())
    x, y = torch.randn(2, 1, 28, 28), torch.randn(2, 1, 28, 28)
    # A linear network is affine: f(x + y) - f(0) = (f(x) - f(0)) + (f(y) - f(0)).
    z = torch.zeros_like(x)
    assert torch.allclose(lin(x + y) - lin(z), (lin(x) - lin(z)) + (lin(y) - lin(z)), atol=1e-4)


def test_weight_standardization_normalises_filters():
    conv = models.WSConv2d(3, 4, 3, bias=False)
    x = torch.randn(1, 3, 5, 5)
    scaled = models.WSConv2d(3, 4, 3, bias=False)
    with torch.no_grad():
        scaled.weight.copy_(conv.weight * 7 + 3)
    assert torch.allclose(conv(x), scaled(x), rtol=2e-3, atol=1e-3)  # equal up to the eps in the variance


def test_unknown_arch_names_allowed_values():
    with pytest.raises(ValueError, match="allowed: mlp, fc, vgg16"):
        models.build("alexnet", (1, 28, 28), 10)
    with pytest.raises(ValueError, match="width"):
        models.build("mlp", (1, 28, 28), 10, width=0)


def test_nets_without_normalisation_get_he_init():
    """VGG16 (no BN) and the MLP start from He-normal weights and zero biases (with PyTorch's
    default init a width-0.125 VGG16 stayed at chance for 4 epochs on Fashion-MNIST)."""
    torch.manual_seed(0)
    for arch in ("vgg16", "mlp"):
        net = models.build(arch, (1, 28, 28), 10, 0.5)
        layer = next(m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear)) and m.weight[0].numel() > 100)
        fan_in = layer.weight[0].numel()
        assert layer.weight.std().item() == pytest.approx((2 / fan_in) ** 0.5, rel=0.1), arch
        assert not layer.bias.any()
