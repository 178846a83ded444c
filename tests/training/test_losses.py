import torch

from inss_geo.training import losses


def test_weighted_l1_uses_only_present_channels_and_valid_pixels():
    target = torch.zeros(1, 3, 4, 4)
    pred = torch.zeros(1, 3, 4, 4)
    pred[:, 2] = 5.0  # error only in channel 2
    pred[:, 0, 0, 0] = 7.0  # and at one invalid pixel
    w = torch.tensor([1.0, 1.0, 2.0])
    pixels = torch.ones(1, 1, 4, 4)
    pixels[..., 0, 0] = 0
    assert losses.weighted_l1(pred, target, w, torch.tensor([[1.0, 1.0, 0.0]]), pixels) == 0
    # channel 2 present: weight 2 / (1 + 1 + 2) = 0.5 -> 2.5 per valid pixel
    assert torch.isclose(losses.weighted_l1(pred, target, w, torch.ones(1, 3), pixels), torch.tensor(2.5))


def test_cosine_distance_is_zero_for_scaled_spectra():
    t = torch.rand(2, 5, 3, 3) + 0.1
    ones = torch.ones(2, 1, 3, 3)
    assert losses.cosine_distance(3 * t, t, torch.ones(2, 5), ones) < 1e-6
    assert losses.cosine_distance(-t, t, torch.ones(2, 5), ones) > 1.99


def test_rgb_to_hsv_known_colours():
    rgb = torch.tensor([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0.5, 0.5, 0.5]], dtype=torch.float32)
    hsv = losses.rgb_to_hsv(rgb.T.reshape(1, 3, 4, 1))[0, :, :, 0].T
    torch.testing.assert_close(hsv[:, 0], torch.tensor([0, 1 / 3, 2 / 3, 0]))
    torch.testing.assert_close(hsv[:, 1], torch.tensor([1.0, 1, 1, 0]))
    torch.testing.assert_close(hsv[:, 2], torch.tensor([1.0, 1, 1, 0.5]))


def test_hsv_loss_wraps_hue_and_has_gradients():
    a = torch.tensor([1.0, 0.0, 0.02]).reshape(1, 3, 1, 1).requires_grad_(True)  # hue just below 1
    b = torch.tensor([1.0, 0.02, 0.0]).reshape(1, 3, 1, 1)  # hue just above 0
    loss = losses.hsv_l1(a, b, torch.ones(1, 1, 1, 1))
    assert loss < 0.02
    loss.backward()
    assert torch.isfinite(a.grad).all()


def test_hsv_loss_stays_bounded_for_negative_colours():
    """A comparison network's output can go negative; S = C / V must not explode there."""
    a = torch.tensor([-0.5, 0.3, -1e-4]).reshape(1, 3, 1, 1).requires_grad_(True)
    b = torch.tensor([0.4, 0.3, 0.2]).reshape(1, 3, 1, 1)
    loss = losses.hsv_l1(a, b, torch.ones(1, 1, 1, 1))
    assert 0 < loss <= 1
    loss.backward()
    assert torch.isfinite(a.grad).all()


def test_residual_and_gan_losses():
    x = torch.ones(1, 2, 2, 2)
    assert losses.residual_l1(x * 1.5, x, torch.ones(1, 1, 2, 2)) == 0.5
    logits = torch.tensor([10.0, -10.0])
    assert losses.gan_loss(logits[:1], True) < 1e-3 and losses.gan_loss(logits[1:], True) > 9
