import copy

import pytest
import torch
from torch import nn

from inss_geo.model.unet import AbundanceUNet, fold_batch_norms


def _trained_unet() -> AbundanceUNet:
    """A small U-Net in eval mode whose batch norms hold statistics and affine terms far from
    the identity, as training leaves them."""
    torch.manual_seed(0)
    unet = AbundanceUNet((4, 8, 8, 8, 8, 8), n_out=5, blocks_per_stage=2, feature_scale=16)
    for bn in (m for m in unet.modules() if isinstance(m, nn.BatchNorm2d)):
        bn.running_mean.uniform_(-1, 1)
        bn.running_var.uniform_(0.5, 2)
        bn.weight.data.uniform_(0.5, 1.5)
        bn.bias.data.uniform_(-0.5, 0.5)
    return unet.eval()


def test_folded_batch_norms_give_the_same_u_net():
    unet = _trained_unet()
    folded = copy.deepcopy(unet)
    fold_batch_norms(folded)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in folded.modules())
    assert sum(isinstance(m, nn.BatchNorm2d) for m in unet.modules()) > 0
    x = torch.rand(1, 3, 64, 128)
    with torch.no_grad():
        for got, want in zip(folded(x), unet(x), strict=True):
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_folding_needs_eval_mode():
    """Training updates the batch statistics, which folding would freeze."""
    unet = _trained_unet().train()
    with pytest.raises(ValueError, match="eval mode"):
        fold_batch_norms(unet)
