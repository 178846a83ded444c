"""How far the default model's nonlinear orders are from constant: the share of tanh(R h2)
arguments beyond 9, where tanh is 1 to float32 precision and M^k = 0.1 whatever the pixel.

Usage: python models/default/order_saturation.py CHANNEL_LIST SCENE [SCENE ...]

Each scene (AVIRIS .npz/.mat or any GDAL raster) is synthesized whole from its own RGB channels,
as ``inss-geo evaluate`` does, and every order's tanh argument is counted.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import torch

import inss_geo.model.mixing as mixing
from inss_geo.checkpoint import load_checkpoint
from inss_geo.inference import synthesize_cube
from inss_geo.scenes import load_scene, read_channel_list
from inss_geo.sensors import Sensor
from inss_geo.synthesis import default_model_path

SATURATED = 9.0  # tanh(9) = 1 - 3e-8: 1.0 in float32


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("channel_list")
    ap.add_argument("scenes", nargs="+")
    args = ap.parse_args()
    model, contract = load_checkpoint(default_model_path())
    sensor = Sensor.from_config(contract["sensor"])
    lists = read_channel_list(args.channel_list)
    seen: list[torch.Tensor] = []
    tanh = mixing._tanh

    def counting(x: torch.Tensor) -> torch.Tensor:
        seen.append(torch.stack([(x.abs() > SATURATED).float().mean(), (x > 0).float().mean(), x.abs().median()]))
        return tanh(x)

    mixing._tanh = counting
    report = {}
    for path in args.scenes:
        seen.clear()
        scene = load_scene(path, sensor, sensor_given=True, channel_lists=lists)
        cube = scene.on_sensor(sensor) / np.float32(contract["data"]["scale"])
        synthesize_cube(model, cube, sensor.rgb, torch.device("cpu"))
        per_order = torch.stack(seen).tolist()
        report[Path(path).stem] = {f"order_{k}": {"saturated": round(s, 4), "positive": round(p, 4), "median_abs": round(m, 1)}
                                   for k, (s, p, m) in enumerate(per_order, start=2)}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
