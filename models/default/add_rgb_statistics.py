"""Add the training RGB statistics to a checkpoint trained before the contract recorded them.

The statistics are a property of the training scenes, not of the weights: this recomputes them
with the same code ``inss-geo train`` uses (``SceneSet.rgb_statistics``) from the run spec stored
in the checkpoint, and rewrites the checkpoint with the weights untouched. Run from the project
root: ``python models/default/add_rgb_statistics.py models/default/model.pt``.
"""

from __future__ import annotations

import json
import sys

import torch

from inss_geo.atomic import atomic_path
from inss_geo.checkpoint import read_checkpoint
from inss_geo.training import RunSpec, _load_inputs


def main(path: str) -> None:
    payload = read_checkpoint(path)
    contract = json.loads(payload["contract"])
    _, train, _, _ = _load_inputs(RunSpec(**contract["training"]["spec"]))
    contract["data"]["rgb_statistics"] = train.rgb_statistics()
    payload["contract"] = json.dumps(contract)
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    print(json.dumps(contract["data"]["rgb_statistics"]))


if __name__ == "__main__":
    main(sys.argv[1])
