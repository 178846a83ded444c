"""Run Table III (:mod:`experiments.downstream`) and write its rows as JSON.

usage: python -m experiments.table3 --model RUNS/inss/model.pt --data AVIRIS_DIR --out RUNS/table3.json [--part I/N]

``--part I/N`` runs every N-th row from the I-th (0-based), so N processes share the cores;
the report reads every ``table3*.json`` beside each other.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import scipy.io as sio
import torch

from inss_geo.checkpoint import load_checkpoint
from inss_geo.spectra.sensors import Sensor
from inss_geo.synthesis.inference import synthesize_rgb
from inss_geo.training.scenes import load_scene, read_channel_list

from .downstream import classify, standardise, train_abundance_net

TRAINING = ("abu-airport-1", "abu-airport-3", "abu-airport-4", "abu-beach-1", "abu-beach-2", "abu-urban-3", "abu-urban-4")
SEEDS = (0, 1, 2, 3, 4)
#: classifier -> (training samples per class, steps of 32): the paper's 50/100/200, and 5 for
#: the 2D-CNN, which reaches 99% on Salinas-A from 50 on; the 3D-CNN runs half the steps (its cost)
CLASSIFIERS = {"2D-CNN": ((5, 50, 100, 200), 300), "3D-CNN": ((50, 100, 200), 150)}
#: feature set -> classifiers run on it (the 3D-CNN on the paper's two settings only: its cost)
SETTINGS = {
    "HSI": ("2D-CNN", "3D-CNN"),
    "HSI + A(HSI)": ("2D-CNN", "3D-CNN"),
    "RGB": ("2D-CNN",),
    "INSS HSI from RGB": ("2D-CNN",),
    "INSS HSI + abundance from RGB": ("2D-CNN",),
}


def features(model, contract: dict, data: Path) -> tuple[dict[str, np.ndarray], np.ndarray, dict]:
    """Every setting's standardised features (C, H, W) of Salinas-A, its labels, and notes."""
    sensor = Sensor.from_config(contract["sensor"])
    scale = float(contract["data"]["scale"])
    lists = read_channel_list(data / "abu" / "abu_inferred_aviris_channels.csv")
    pairs = []
    for name in TRAINING:  # A's training pairs: what INSS makes of the training scenes' RGB
        scene = load_scene(data / "abu" / f"{name}.npz", sensor, sensor_given=True, channel_lists=lists)
        rgb = torch.from_numpy(scene.on_sensor(sensor)[list(sensor.rgb)] / np.float32(scale))[None]
        out = synthesize_rgb(model, rgb)
        pairs.append((out.hsi[0].numpy(), out.abundance[0].numpy()))
    start = time.monotonic()
    a_net = train_abundance_net(pairs, sensor.kept)
    a_seconds = time.monotonic() - start
    salinas = load_scene(data / "salinasA" / "SalinasA.mat", sensor, sensor_given=True)
    cube = salinas.on_sensor(sensor) / np.float32(scale)
    kept = salinas.channel_mask(sensor)
    labels = sio.loadmat(data / "salinasA" / "SalinasA_gt.mat")["salinasA_gt"]
    with torch.no_grad():
        a_real = a_net(torch.from_numpy(cube * kept[:, None, None])[None])[0].numpy()
        synth = synthesize_rgb(model, torch.from_numpy(cube[list(sensor.rgb)])[None])
    s_hsi, s_ab = synth.hsi[0].numpy(), synth.abundance[0].numpy()
    hsi = standardise(cube[kept])
    sets = {
        "HSI": hsi,
        "HSI + A(HSI)": np.concatenate([hsi, standardise(a_real)]),
        "RGB": standardise(cube[list(sensor.rgb)]),
        "INSS HSI from RGB": standardise(s_hsi[kept]),
        "INSS HSI + abundance from RGB": np.concatenate([standardise(s_hsi[kept]), standardise(s_ab)]),
    }
    notes = {"channels_kept": int(kept.sum()), "a_net_seconds": round(a_seconds, 1),
             "abundance_l1_a_vs_inss": float(np.abs(a_real - s_ab).sum(0).mean()),
             "labelled_pixels": int((labels > 0).sum()), "classes": [int(c) for c in np.unique(labels[labels > 0])]}
    return sets, labels, notes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--part", default="0/1")
    args = parser.parse_args()
    part, parts = (int(v) for v in args.part.split("/"))
    torch.set_num_threads(1)
    model, contract = load_checkpoint(args.model)
    sets, labels, notes = features(model, contract, args.data)
    jobs = [(s, c, n, seed) for s, clfs in SETTINGS.items() for c in clfs for n in CLASSIFIERS[c][0] for seed in SEEDS]
    rows = []
    for setting, clf, n, seed in jobs[part::parts]:
        start = time.monotonic()
        sc = classify(sets[setting], labels, clf, n, seed, steps=CLASSIFIERS[clf][1])
        rows.append({"setting": setting, "classifier": clf, "per_class": n, "seed": seed, "OA": sc.oa, "AA": sc.aa,
                     "kappa": sc.kappa, "seconds": round(time.monotonic() - start, 1)})
        args.out.write_text(json.dumps({"model": str(args.model), "notes": notes, "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
