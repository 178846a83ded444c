"""Table III: Salinas-A classification with and without abundances (paper Sec. IV-E, Eq. 20-22).

An abundance network A (HSI -> abundance over the library, Eq. 20) is trained on pairs that
INSS synthesizes from RGB: the training scenes' RGB channels give INSS's HSI S and its
abundance, and A learns S -> abundance. A is then applied to the real Salinas-A cube, and a
classifier D sees the HSI alone (Eq. 21) or the HSI with A(S) (Eq. 22). The paper's A is a
U-Net; here it is three convolutions (1x1, 3x3, 1x1), enough for a per-pixel unmixing with a
little context on 83 x 86 pixels.

The setting the paper's abstract promises is tried too: classification from RGB alone, from
the HSI INSS synthesizes from that RGB, and from that HSI with INSS's own abundance.

Classifiers: the paper's 2D-CNN (six 3x3 convolutions on 9x9 patches, 32 channels here) and the
3D-CNN of Hamida et al. (IEEE TGRS 56(8), 2018; the paper's [87]) as DeepHyperX builds it:
3-D convolutions over (band, row, column) with spectral striding on 5x5 patches, then a linear
layer.
Metrics: overall accuracy (OA), average per-class accuracy (AA), Cohen's kappa, on every
labelled pixel not drawn for training.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn


class AbundanceNet(nn.Module):
    """A (Eq. 20): HSI (B, K, H, W) in normalised data units -> abundance (B, N, H, W), softmax."""

    def __init__(self, n_channels: int, n_spectra: int, width: int = 128) -> None:
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(n_channels, width, 1), nn.LeakyReLU(0.2), nn.Conv2d(width, width, 3, padding=1,
                                 padding_mode="reflect"), nn.LeakyReLU(0.2), nn.Conv2d(width, n_spectra, 1))

    def forward(self, hsi: torch.Tensor) -> torch.Tensor:
        return torch.softmax(self.net(hsi), dim=1)


def train_abundance_net(pairs: list[tuple[np.ndarray, np.ndarray]], kept: np.ndarray, steps: int = 600,
                        seed: int = 0) -> AbundanceNet:
    """Fit A on (HSI (K, H, W), abundance (N, H, W)) pairs by KL divergence on 32-px crops;
    channels not ``kept`` (water bands) are zeroed on the way in, as they will be on real data."""
    gen = np.random.default_rng(seed)
    torch.manual_seed(seed)
    net = AbundanceNet(pairs[0][0].shape[0], pairs[0][1].shape[0])
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    mask = torch.from_numpy(kept.astype(np.float32))[None, :, None, None]
    for _ in range(steps):
        xs, ys = [], []
        for _ in range(8):
            hsi, ab = pairs[gen.integers(len(pairs))]
            y, x = gen.integers(hsi.shape[1] - 31), gen.integers(hsi.shape[2] - 31)
            xs.append(hsi[:, y : y + 32, x : x + 32])
            ys.append(ab[:, y : y + 32, x : x + 32])
        x, target = torch.from_numpy(np.stack(xs)) * mask, torch.from_numpy(np.stack(ys))
        pred = net(x)
        loss = (target * (target.clamp_min(1e-8).log() - pred.clamp_min(1e-8).log())).sum(1).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return net.eval()


class CNN2D(nn.Module):
    """The paper's D: six 3x3 convolutions (batch norm, ReLU) on a 9x9 patch, pooled, linear.

    ``patch`` is not needed (the features are pooled); it is taken so every classifier is built
    alike (:data:`CLASSIFIERS`)."""

    def __init__(self, n_in: int, n_classes: int, patch: int = 9, width: int = 32) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for i in range(6):
            layers += [nn.Conv2d(n_in if i == 0 else width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(width, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x).mean(dim=(2, 3)))


class CNN3D(nn.Module):
    """Hamida et al.'s 3-D CNN: (band, row, col) convolutions, spectral striding, linear.

    DeepHyperX's layout (a 3x3x3 layer, a strided spectral layer, a second 3x3x3 layer, two
    strided spectral layers) on DeepHyperX's 5x5 patches, with 8 and 16 filters instead of 20
    and 35: a fifth of the cost, for the 2-core budget of this table."""

    def __init__(self, n_in: int, n_classes: int, patch: int = 5, widths: tuple[int, int] = (8, 16)) -> None:
        super().__init__()
        a, b = widths
        self.features = nn.Sequential(
            nn.Conv3d(1, a, (3, 3, 3), padding=(1, 1, 1)), nn.ReLU(),
            nn.Conv3d(a, a, (3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0)), nn.ReLU(),
            nn.Conv3d(a, b, (3, 3, 3), padding=(1, 0, 0)), nn.ReLU(),
            nn.Conv3d(b, b, (3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0)), nn.ReLU(),
            nn.Conv3d(b, b, (3, 1, 1), stride=(2, 1, 1), padding=(1, 0, 0)), nn.ReLU(),
        )
        with torch.no_grad():
            n = self.features(torch.zeros(1, 1, n_in, patch, patch)).numel()
        self.fc = nn.Linear(n, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.features(x[:, None]).flatten(1))


#: Each classifier and the patch it sees.
CLASSIFIERS = {"2D-CNN": (CNN2D, 9), "3D-CNN": (CNN3D, 5)}


def standardise(features: np.ndarray) -> np.ndarray:
    """(C, H, W) -> each channel to zero mean, unit variance over the image (no labels used)."""
    mean = features.mean(axis=(1, 2), keepdims=True)
    std = features.std(axis=(1, 2), keepdims=True)
    return ((features - mean) / np.where(std > 0, std, 1)).astype(np.float32)


def draw_training(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """A boolean map of ``per_class`` random labelled pixels of every class."""
    gen = np.random.default_rng(seed)
    chosen = np.zeros(labels.shape, bool)
    for c in np.unique(labels[labels > 0]):
        idx = np.flatnonzero(labels == c)
        chosen.flat[gen.choice(idx, min(per_class, idx.size), replace=False)] = True
    return chosen


def _patches(features: torch.Tensor, where: np.ndarray, patch: int) -> torch.Tensor:
    """Patches (N, C, patch, patch) centred on the pixels ``where`` (reflection beyond the edges)."""
    r = patch // 2
    padded = F.pad(features[None], (r, r, r, r), mode="reflect")[0]
    rows, cols = np.nonzero(where)
    return torch.stack([padded[:, y : y + patch, x : x + patch] for y, x in zip(rows, cols)])


@dataclass
class Scores:
    """Overall accuracy, average accuracy (%) and kappa x 100 of one classification."""

    oa: float
    aa: float
    kappa: float


def scores(truth: np.ndarray, pred: np.ndarray) -> Scores:
    """Overall accuracy, average per-class accuracy and Cohen's kappa (in %, kappa x 100)."""
    classes = np.unique(truth)
    oa = float((truth == pred).mean())
    aa = float(np.mean([(pred[truth == c] == c).mean() for c in classes]))
    pe = sum(float((truth == c).mean() * (pred == c).mean()) for c in classes)
    return Scores(100 * oa, 100 * aa, 100 * (oa - pe) / (1 - pe))


def classify(features: np.ndarray, labels: np.ndarray, classifier: str, per_class: int, seed: int,
             steps: int = 300) -> Scores:
    """Train ``classifier`` for ``steps`` batches of 32 on ``per_class`` pixels of each class
    and score the rest. A fixed number of steps, whatever ``per_class``: the budget is the same
    for every row of the table."""
    torch.manual_seed(seed)
    network, patch = CLASSIFIERS[classifier]
    train = draw_training(labels, per_class, seed)
    test = (labels > 0) & ~train
    classes = np.unique(labels[labels > 0])
    index = {c: i for i, c in enumerate(classes)}
    x = torch.from_numpy(features)
    xt, yt = _patches(x, train, patch), torch.tensor([index[c] for c in labels[train]])
    net = network(features.shape[0], len(classes), patch)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3, weight_decay=1e-4)
    gen = torch.Generator().manual_seed(seed)
    net.train()
    for _ in range(steps):
        batch = torch.randint(len(yt), (32,), generator=gen)
        loss = F.cross_entropy(net(xt[batch]), yt[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
    net.eval()
    with torch.no_grad():
        pred = torch.cat([net(p).argmax(1) for p in _patches(x, test, patch).split(512)]).numpy()
    return scores(np.array([index[c] for c in labels[test]]), pred)
