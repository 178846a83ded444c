"""Self-supervised training of INSS on hyperspectral scenes (paper Sec. III-D, III-E), and of
the comparison methods (:mod:`model.methods`) with the same data, losses and checkpoints.

The RGB input is taken from each scene's own RGB channels; the target is the scene itself.
Runs on CPU or CUDA, and under ``torchrun`` with DistributedDataParallel (gloo on CPU, NCCL on
CUDA); only rank 0 writes checkpoints and logs. Batches depend only on (seed, rank, step), so
``resume`` continues exactly where an interrupted run stopped.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from tqdm import tqdm

from ..checkpoint import build_contract, read_checkpoint, save_checkpoint
from ..errors import ConfigError
from ..model import INSS
from ..model.config import config_from_dict
from ..model.direct import DirectNetwork
from ..model.discriminators import SpatialDiscriminator, SpectralDiscriminator
from ..model.methods import DIRECT_METHODS, METHODS, build_direct
from ..model.receptive_field import network_radius, receptive_radius
from ..spectra.library import SpectralLibrary
from ..spectra.sensors import Sensor
from ..synthesis.inference import synthesize_cube
from . import losses
from .data_sampling import Augment, Batch, SceneSet
from .losses import LossWeights
from .metrics import CONVENTIONS, evaluate_arrays
from .ridge import choose_ridge
from .scenes import Scene

MODEL_FILE = "model.pt"
STATE_FILE = "state.pt"
LOG_FILE = "log.jsonl"
#: Pixels per step fed to the spectral discriminator.
SPECTRAL_SAMPLES = 2048


#: Metric (standard convention) by which the best checkpoint is chosen on the validation scenes.
SELECTION = ("standard", "MPSNR")


@dataclass
class TrainOptions:
    """Everything that defines a training run (stored in the checkpoint).

    ``lr`` is the U-Net's learning rate; T (whose output is tens of thousands of MLP weights)
    and the physical latents t and L_path learn more slowly, each in its own parameter group.
    """

    steps: int = 4000
    batch_size: int = 8
    crop: int = 64
    lr: float = 1e-3
    lr_transform: float = 1e-4
    lr_signature: float = 5e-5
    lr_discriminator: float = 1e-5
    warmup_steps: int = 100
    decay_from: float = 0.5
    discriminator_every: int = 3
    val_every: int = 100
    checkpoint_every: int = 200
    patience: int | None = 10
    seed: int = 0
    max_minutes: float | None = None
    domain: str = "radiance"
    data_scale: float = 4095.0
    band_weighting: str = "inverse-mean"
    augment: bool = True
    weights: LossWeights = field(default_factory=LossWeights)


def lr_factor(step: int, warmup: int, total: int, decay_from: float = 0.0) -> float:
    """Linear warm-up to 1, constant until ``decay_from`` of the run, then cosine decay to 0 at
    ``total`` (the paper's schedule: constant, then cosine)."""
    if step < warmup:
        return (step + 1) / warmup
    start = max(warmup, int(decay_from * total))
    if step < start:
        return 1.0
    progress = (step - start) / max(1, total - start)
    return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))


def _distributed() -> tuple[int, int]:
    """(rank, world size); initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() and os.environ.get("INSS_DDP_BACKEND") != "gloo" else "gloo"
        dist.init_process_group(backend)
    return (dist.get_rank(), world) if world > 1 else (0, 1)


def check_options(opts: TrainOptions, multiple: int) -> None:
    """Refuse crop and batch sizes the network cannot train on, before anything is written."""
    if opts.crop % multiple:
        raise ConfigError(f"--crop {opts.crop} must be a multiple of {multiple}")
    if opts.batch_size * (opts.crop // multiple) ** 2 < 2:
        raise ConfigError(
            f"--batch-size {opts.batch_size} with --crop {opts.crop} leaves one value per channel at the "
            f"U-Net bottleneck (batch norm needs two); use --batch-size 2 or --crop {2 * multiple}"
        )


def build_generator(method: str, architecture: dict, library: SpectralLibrary,
                    t_init: np.ndarray) -> tuple[nn.Module, nn.Module, int]:
    """The generator of ``method``, the module that holds its RGB standardisation, and its
    receptive radius (for the checkpoint's contract)."""
    sensor = library.sensor
    if method in DIRECT_METHODS:
        model = build_direct(method, architecture, sensor)
        return model, model, network_radius(model)
    config = config_from_dict(architecture)
    model = INSS(config, torch.from_numpy(library.spectra).T, torch.from_numpy(t_init), rgb=sensor.rgb)
    return model, model.unet, receptive_radius(config)


class Trainer:
    """Holds the generator, discriminators, optimizers and the step counter."""

    def __init__(
        self,
        run_dir: Path,
        train: SceneSet,
        val: list[Scene],
        library: SpectralLibrary,
        t_init: np.ndarray,
        method: str,
        architecture: dict,
        opts: TrainOptions,
        device: torch.device,
        provenance: dict,
        quiet: bool = False,
    ) -> None:
        self.rank, self.world = _distributed()
        self.run_dir, self.train, self.val, self.opts, self.device = run_dir, train, val, opts, device
        self.quiet = quiet or self.rank != 0
        self.sensor = library.sensor
        torch.manual_seed(opts.seed)  # identical initial weights on every rank
        self.model, standardiser, radius = build_generator(method, architecture, library, t_init)
        rgb_statistics = train.rgb_statistics()
        standardiser.rgb_mean.copy_(torch.tensor(rgb_statistics["mean"]))
        standardiser.rgb_std.copy_(torch.tensor(rgb_statistics["std"]))
        if isinstance(self.model, DirectNetwork):
            mean, ok = train.mean_spectrum()
            self.model.start_at(torch.from_numpy(np.where(ok, mean, 0.0)).float())
        self.model.to(device)
        k = self.sensor.n_channels
        self.d_spatial = SpatialDiscriminator(k).to(device)
        self.d_spectral = SpectralDiscriminator().to(device)
        band_weights = train.band_weights(opts.band_weighting)
        self.band_weights = torch.from_numpy(band_weights).float().to(device)
        self.augment = Augment() if opts.augment else None
        self.opt_g = torch.optim.Adam(self._parameter_groups(), betas=(0.9, 0.999))
        self.opt_d = torch.optim.Adam(
            [*self.d_spatial.parameters(), *self.d_spectral.parameters()], lr=opts.lr_discriminator, betas=(0.9, 0.999)
        )
        self.step = 0
        self.history: list[dict] = []
        self.best: float | None = None  # best validation score so far (SELECTION)
        self.since_best = 0  # validations since it
        self.contract = build_contract(
            method,
            architecture,
            radius,
            self.sensor,
            *((library.names, library.chapters) if isinstance(self.model, INSS) else ((), ())),  # (no library: none)
            domain=opts.domain,
            data_scale=opts.data_scale,
            band_weights=[float(v) for v in band_weights],
            rgb_statistics=rgb_statistics,
            training={**provenance, "options": _jsonable(asdict(opts)), "world_size": self.world},
        )
        if self.world > 1:
            ids = [device.index] if device.type == "cuda" else None
            self.g = DistributedDataParallel(self.model, device_ids=ids)
            self.ds = DistributedDataParallel(self.d_spatial, device_ids=ids)
            self.dp = DistributedDataParallel(self.d_spectral, device_ids=ids)
        else:
            self.g, self.ds, self.dp = self.model, self.d_spatial, self.d_spectral

    def _parameter_groups(self) -> list[dict]:
        """INSS: the U-Net (and P) at ``lr``, T at ``lr_transform``, t and L_path at
        ``lr_signature``; a comparison network: everything at ``lr``."""
        m, o = self.model, self.opts
        if not isinstance(m, INSS):
            return [{"params": list(m.parameters()), "lr": o.lr, "base_lr": o.lr}]
        network = [*m.unet.parameters(), *(m.projection.parameters() if m.projection else [])]
        groups = [{"params": network, "lr": o.lr, "base_lr": o.lr}]
        if m.transform is not None:
            groups.append({"params": m.transform.parameters(), "lr": o.lr_transform, "base_lr": o.lr_transform})
        latents = [p for p in (m.t, m.path_radiance) if p is not None]
        groups.append({"params": latents, "lr": o.lr_signature, "base_lr": o.lr_signature})
        return groups

    # -- checkpoints -------------------------------------------------------------------
    def state(self) -> dict:
        """Training state beyond the generator weights (for --resume)."""
        return {
            "step": self.step,
            "d_spatial": self.d_spatial.state_dict(),
            "d_spectral": self.d_spectral.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "history": json.dumps(self.history),
            "best": json.dumps([self.best, self.since_best]),
        }

    def save(self, model_too: bool) -> None:
        """Atomically write state.pt (resumable, the latest weights) and, with ``model_too``,
        model.pt (the inference contract): the best weights by validation, or the latest when
        there are no validation scenes."""
        if self.rank != 0:
            return
        self.contract["training"]["steps_done"] = self.step
        save_checkpoint(self.run_dir / STATE_FILE, self.model, self.contract, self.state())
        if model_too:
            self.contract["metrics"] = self.history[-1].get("val", {}) if self.history else {}
            self.contract["training"]["model_step"] = self.step
            save_checkpoint(self.run_dir / MODEL_FILE, self.model, self.contract)

    def restore(self, path: Path) -> None:
        """Continue from a state.pt written by :meth:`save`."""
        payload = read_checkpoint(path)
        if "training_state" not in payload:
            raise ConfigError(f"{path}: holds no training state to resume from")
        saved = json.loads(payload["contract"])
        if (saved.get("method"), saved["architecture"]) != (self.contract["method"], self.contract["architecture"]):
            raise ConfigError(f"{path}: method or architecture differs from this run's options")
        st = payload["training_state"]
        self.model.load_state_dict(payload["state_dict"])
        self.d_spatial.load_state_dict(st["d_spatial"])
        self.d_spectral.load_state_dict(st["d_spectral"])
        self.opt_g.load_state_dict(st["opt_g"])
        self.opt_d.load_state_dict(st["opt_d"])
        self.step = int(st["step"])
        self.history = json.loads(st["history"])
        self.best, self.since_best = json.loads(st["best"])
        self.contract["training"]["resumed_from_step"] = self.step

    # -- one iteration -----------------------------------------------------------------
    def _set_lr(self) -> None:
        f = lr_factor(self.step, self.opts.warmup_steps, self.opts.steps, self.opts.decay_from)
        for g in self.opt_g.param_groups:
            g["lr"] = g["base_lr"] * f
        for g in self.opt_d.param_groups:
            g["lr"] = self.opts.lr_discriminator * f

    def _spectra(self, hsi: torch.Tensor, batch: Batch, idx: torch.Tensor) -> torch.Tensor:
        """Masked single-pixel spectra (N, K) at flat indices ``idx`` of (B, H, W)."""
        masked = hsi * batch.channels[:, :, None, None]
        return masked.permute(0, 2, 3, 1).reshape(-1, hsi.shape[1])[idx]

    def train_step(self, batch: Batch) -> dict[str, float]:
        """One generator step, plus a discriminator step every ``discriminator_every`` steps."""
        w = self.opts.weights
        self._set_lr()
        self.model.train()
        out = self.g(batch.rgb)
        ch = batch.channels.float()
        rgb = list(self.sensor.rgb)
        terms = {
            "pixel": losses.weighted_l1(out.hsi, batch.target, self.band_weights, ch, batch.pixels),
            "cosine": losses.cosine_distance(out.hsi, batch.target, ch, batch.pixels),
            "hsv": losses.hsv_l1(out.hsi[:, rgb], batch.target[:, rgb], batch.pixels),
            "residual": losses.residual_l1(out.hsi, out.linear, batch.pixels),
            "rgb": losses.rgb_l1(out.hsi[:, rgb], batch.target[:, rgb], batch.pixels),
        }
        adversarial = w.adversarial > 0
        if adversarial:
            valid = torch.nonzero(batch.pixels.flatten() > 0).flatten()
            gen = torch.Generator().manual_seed(self.opts.seed * 1_000_003 + self.step)
            idx = valid[torch.randperm(valid.numel(), generator=gen)[:SPECTRAL_SAMPLES].to(valid.device)]
            for p in [*self.d_spatial.parameters(), *self.d_spectral.parameters()]:
                p.requires_grad_(False)
            fake_hsi = out.hsi * ch[:, :, None, None]
            patch_mask = torch.nn.functional.avg_pool2d(batch.pixels, 4) > 0.5
            terms["adversarial"] = losses.gan_loss(self.d_spatial(batch.rgb, fake_hsi), True, patch_mask.float()) + (
                losses.gan_loss(self.d_spectral(self._spectra(out.hsi, batch, idx)), True)
            )
            for p in [*self.d_spatial.parameters(), *self.d_spectral.parameters()]:
                p.requires_grad_(True)
        total = sum(getattr(w, k) * v for k, v in terms.items())
        self.opt_g.zero_grad(set_to_none=True)
        total.backward()
        self.opt_g.step()
        logs = {k: float(v.detach()) for k, v in terms.items()}
        logs["total"] = float(total.detach())
        if adversarial and self.step % self.opts.discriminator_every == 0:
            logs["discriminator"] = self._discriminator_step(batch, out.hsi.detach(), idx, patch_mask.float())
        return logs

    def _discriminator_step(self, batch: Batch, fake: torch.Tensor, idx: torch.Tensor, patch_mask: torch.Tensor) -> float:
        """Real vs fake for both discriminators, one forward/backward each (DDP-friendly)."""
        ch = batch.channels[:, :, None, None].float()
        rgb2 = torch.cat([batch.rgb, batch.rgb])
        hsi2 = torch.cat([batch.target * ch, fake * ch])
        n = batch.rgb.shape[0]
        logits = self.ds(rgb2, hsi2)
        mask2 = torch.cat([patch_mask, patch_mask])
        loss_spatial = losses.gan_loss(logits[:n], True, mask2[:n]) + losses.gan_loss(logits[n:], False, mask2[n:])
        spec = self.dp(torch.cat([self._spectra(batch.target, batch, idx), self._spectra(fake, batch, idx)]))
        m = idx.numel()
        loss_spectral = losses.gan_loss(spec[:m], True) + losses.gan_loss(spec[m:], False)
        loss = 0.5 * (loss_spatial + loss_spectral)
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()
        return float(loss.detach())

    # -- validation ----------------------------------------------------------------------
    def validate(self) -> dict[str, dict[str, float]]:
        """Metrics in both conventions averaged over the validation scenes (whole-scene synthesis)."""
        self.model.eval()
        scale = self.opts.data_scale
        rows: dict[str, list[dict[str, float]]] = {c: [] for c in CONVENTIONS}
        for scene in self.val:
            cube = scene.on_sensor(self.sensor)
            pred = synthesize_cube(self.model, cube / np.float32(scale), self.sensor.rgb, self.device) * scale
            for c in CONVENTIONS:
                rows[c].append(
                    evaluate_arrays(pred, cube, scene.channel_mask(self.sensor), scene.valid, data_scale=scale, convention=c)
                )
        return {c: {k: float(np.mean([r[k] for r in rs])) for k in rs[0]} for c, rs in rows.items()} if self.val else {}

    def _improved(self, val: dict) -> bool:
        """Whether this validation is the best so far (and count the ones that are not)."""
        score = val[SELECTION[0]][SELECTION[1]]
        if self.best is None or score > self.best:
            self.best, self.since_best = score, 0
            return True
        self.since_best += 1
        return False

    def _validated(self, record: dict) -> bool:
        """Validate into ``record``; True when patience has run out (rank 0 only)."""
        record["val"] = self.validate()
        record["val"]["best"] = self._improved(record["val"])
        return self.opts.patience is not None and self.since_best >= self.opts.patience

    def _agree(self, stop: bool) -> bool:
        """Rank 0's early-stopping decision, and its best-so-far counter, shared with every rank."""
        if self.world == 1:
            return stop
        flags = torch.tensor([float(stop), float(self.since_best)], device=self.device)
        dist.broadcast(flags, 0)
        self.since_best = int(flags[1])
        return bool(flags[0])

    # -- the loop ------------------------------------------------------------------------
    def fit(self) -> dict:
        """Train until ``steps``, ``max_minutes`` or, with validation scenes, ``patience``
        validations without a better score; returns the last log record, with the best
        validation's record as ``best_val``."""
        o = self.opts
        start = time.monotonic()
        bar = tqdm(total=o.steps, initial=self.step, disable=self.quiet, desc="train", unit="step")
        running: dict[str, list[float]] = {}
        record: dict = {}
        stop = False
        while self.step < o.steps and not stop:
            batch = self.train.sample(o.batch_size, o.crop, o.seed, self.rank, self.step, self.augment).to(self.device)
            logs = self.train_step(batch)
            for k, v in logs.items():
                running.setdefault(k, []).append(v)
            self.step += 1
            bar.update(1)
            out_of_time = o.max_minutes is not None and time.monotonic() - start > 60 * o.max_minutes
            last = self.step == o.steps or out_of_time
            best = not self.val  # without validation scenes, the latest weights are the model
            if self.step % o.val_every == 0 or last:
                record = {"step": self.step, "minutes": round((time.monotonic() - start) / 60, 2)}
                record["train"] = {k: float(np.mean(v)) for k, v in running.items()}
                running = {}
                if self.val:
                    stop = self._agree(self.rank == 0 and self._validated(record))
                    best = self.since_best == 0
                self.history.append(record)
                if self.rank == 0:
                    with open(self.run_dir / LOG_FILE, "a") as fh:
                        fh.write(json.dumps(record) + "\n")
                    bar.set_postfix(loss=f"{record['train']['total']:.4f}", best_mpsnr=self.best)
            if self.step % o.checkpoint_every == 0 or last or stop or (best and self.val):
                self.save(model_too=best)
            if out_of_time:
                break
        bar.close()
        if self.world > 1:
            dist.barrier()
        chosen = [r for r in self.history if r.get("val", {}).get("best")]
        if chosen:
            record = {**record, "best_val": {"step": chosen[-1]["step"], **chosen[-1]["val"]}}
        return record


def fit_ridge_run(run_dir: Path, train: SceneSet, val: list[Scene], sensor: Sensor, opts: TrainOptions,
                  provenance: dict) -> dict:
    """``train --method ridge``: the closed-form baseline, penalty chosen on validation; writes
    model.pt and log.jsonl (one record per penalty) and returns the chosen one's record."""
    model, records = choose_ridge(train, val, opts.data_scale)
    run_dir.mkdir(parents=True, exist_ok=True)
    chosen = next(r for r in records if r["chosen"])
    contract = build_contract(
        "ridge", {"features": "quadratic in standardised RGB"}, 0, sensor, (), (), domain=opts.domain,
        data_scale=opts.data_scale, band_weights=[], rgb_statistics=train.rgb_statistics(), training={**provenance, "penalties": records},
        metrics={"standard": {"MPSNR": chosen["val_standard_MPSNR"]}},
    )
    save_checkpoint(run_dir / MODEL_FILE, model, contract)
    with open(run_dir / LOG_FILE, "w") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    return {"step": 0, "ridge": chosen}


def fit_quantisation(prior: np.ndarray, library: SpectralLibrary, train: SceneSet) -> np.ndarray:
    """Scale the prior signature by the sensor quantisation factor q of t = q * phi.

    q is the least-squares factor that makes t * (mean library spectrum) match the training
    data's mean spectrum on the kept channels; the shape of t stays the physical prior's.
    """
    mean, ok = train.mean_spectrum()
    base = prior * library.spectra.mean(axis=0)
    ok &= library.sensor.kept
    q = float((mean[ok] * base[ok]).sum() / max((base[ok] ** 2).sum(), 1e-12))
    return (prior * q).astype(np.float32)


def _jsonable(d: dict) -> dict:
    return json.loads(json.dumps(d, default=str))


def command_line() -> str:
    """The command that started this process, for the checkpoint's provenance."""
    return " ".join(shlex.quote(a) for a in ["inss-geo", *sys.argv[1:]])


@dataclass
class RunSpec:
    """What a user asked for; stored in the checkpoint so ``--resume RUN`` can rebuild the run."""

    scenes: list[str]
    val_scenes: list[str]
    method: str = "inss"
    sensor: str | None = None
    channel_list: str | None = None
    library: str | None = None
    chapters: list[str] = field(default_factory=list)
    architecture: dict = field(default_factory=dict)
    options: dict = field(default_factory=dict)


def _load_inputs(spec: RunSpec) -> tuple[SpectralLibrary, SceneSet, list[Scene], TrainOptions]:
    from ..spectra.library import library_for_sensor, load_library
    from ..spectra.sensors import get_sensor
    from .scenes import load_scene, read_channel_list

    opts_dict = dict(spec.options)
    weights = LossWeights(**opts_dict.pop("weights", {}))
    opts = TrainOptions(**opts_dict, weights=weights)
    if opts.domain not in ("radiance", "reflectance"):
        raise ConfigError(f"--domain must be radiance or reflectance, got {opts.domain!r}")
    if opts.data_scale <= 0:
        raise ConfigError("--data-scale must be positive")
    sensor = get_sensor(spec.sensor or "aviris-classic")
    library = load_library(spec.library, sensor) if spec.library else library_for_sensor(sensor)
    if spec.chapters:
        library = library.filter_chapters(spec.chapters)
    lists = read_channel_list(spec.channel_list) if spec.channel_list else None
    load = lambda p: load_scene(p, sensor, sensor_given=spec.sensor is not None, channel_lists=lists)  # noqa: E731
    train = [load(p) for p in spec.scenes]
    val = [load(p) for p in spec.val_scenes]
    overlap = {Path(p).resolve() for p in spec.scenes} & {Path(p).resolve() for p in spec.val_scenes}
    if overlap:
        raise ConfigError(f"validation scene(s) also used for training: {', '.join(sorted(map(str, overlap)))}")
    return library, SceneSet(train, sensor, opts.data_scale), val, opts


def run_training(
    spec: RunSpec | None,
    run_dir: str | Path,
    *,
    device: str = "cpu",
    resume: bool = False,
    max_minutes: float | None = None,
    quiet: bool = False,
) -> dict | None:
    """Train (or resume) a run in ``run_dir``; returns the last log record (None off rank 0).

    With ``resume``, the run's stored spec is used and ``spec`` must be None.
    """
    from ..spectra.signature import signature_prior

    run_dir = Path(run_dir)
    state_path = run_dir / STATE_FILE
    if resume:
        payload = read_checkpoint(state_path)
        stored = json.loads(payload["contract"])["training"]["spec"]
        spec = RunSpec(**stored)
        # the time budget belongs to one invocation, not to the run
        spec.options = {**spec.options, "max_minutes": max_minutes}
    elif state_path.exists():
        raise ConfigError(f"{run_dir} already holds a run; use --resume {run_dir} or another --out")
    elif (run_dir / MODEL_FILE).exists():
        raise ConfigError(f"{run_dir} already holds {MODEL_FILE}; give another --out")
    assert spec is not None
    library, train, val, opts = _load_inputs(spec)
    provenance = {
        "spec": _jsonable(asdict(spec)),
        "train_scenes": train.names,
        "val_scenes": [s.name for s in val],
        "command": command_line(),
    }
    if spec.method == "ridge":
        return fit_ridge_run(run_dir, train, val, library.sensor, opts, provenance)
    if spec.method not in METHODS:
        raise ConfigError(f"unknown method {spec.method!r}; choose from: {', '.join(METHODS)}")
    if spec.method in DIRECT_METHODS:
        multiple = build_direct(spec.method, spec.architecture, library.sensor).multiple
    else:
        config = config_from_dict(spec.architecture)
        if spec.method == "lmm" and config.order != 1:
            raise ConfigError(f"--method lmm is the linear mixture model (order 1); got --order {config.order}")
        multiple = config.multiple
    check_options(opts, multiple)
    run_dir.mkdir(parents=True, exist_ok=True)
    torch_device = torch.device(device)
    if torch_device.type == "cuda":
        torch.cuda.set_device(torch_device.index or int(os.environ.get("LOCAL_RANK", "0")))
        torch_device = torch.device("cuda", torch.cuda.current_device())
    t_init = fit_quantisation(signature_prior(library.sensor, opts.data_scale), library, train)
    trainer = Trainer(
        run_dir,
        train,
        val,
        library,
        t_init,
        spec.method,
        spec.architecture,
        opts,
        torch_device,
        provenance,
        quiet,
    )
    if resume:
        trainer.restore(state_path)
    record = trainer.fit()
    if trainer.world > 1:
        dist.destroy_process_group()
    return record if trainer.rank == 0 else None
