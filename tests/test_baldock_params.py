"""Baldock figures share ensembles and probes through the store: every notebook that names a shared
run must spell it the same way at laptop and smoke scale, or it would train a second copy. (At
paper scale figures may follow their own paper experiment, e.g. b6 on CIFAR-10.)"""

from pathlib import Path

import pytest

from replicate.book import pipeline

ROOT = Path(__file__).resolve().parents[1]
SHARED = ("mlp", "mlp_noisy", "vgg", "resnet", "vgg_full", "k", "probe_dim")


@pytest.mark.parametrize("scale", ["laptop", "smoke"])
def test_shared_runs_are_spelled_alike(scale):
    seen: dict[str, tuple[str, object]] = {}
    figs = [f for f in pipeline.notebooks(ROOT) if f.startswith("baldock2021/")]
    assert figs
    for fig in figs:
        nb = pipeline.notebooks(ROOT)[fig]
        params = pipeline.defaults(nb) | pipeline.parameters(nb, scale)
        for name in SHARED:
            if name in params:
                first = seen.setdefault(name, (fig, params[name]))
                assert params[name] == first[1], f"{fig} spells {name} unlike {first[0]} at {scale} scale"
