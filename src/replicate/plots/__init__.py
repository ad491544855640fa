"""Figure helpers: arrays in, matplotlib figures out, modelled on the papers' figures; one
module per paper, all reachable as ``replicate.plots.<name>``."""

from .baldock import *  # noqa: F403
from .baldock_layers import *  # noqa: F403
from .common import *  # noqa: F403
from .hacohen import *  # noqa: F403
from .pliushch import *  # noqa: F403
