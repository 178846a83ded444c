import pickle
from dataclasses import asdict

import pytest
import torch

from inss_geo.checkpoint import (
    build_contract,
    check_sensor,
    load_checkpoint,
    save_checkpoint,
)
from inss_geo.errors import CheckpointError, InputFileError, SensorMismatchError
from inss_geo.model import INSS, build_config
from inss_geo.model.receptive_field import receptive_radius
from inss_geo.spectra.sensors import aviris_classic


@pytest.fixture
def saved(tmp_path, library):
    config = build_config("small", widths=(4, 4, 8, 8, 8, 8), order=2)
    model = INSS(config, torch.from_numpy(library.spectra).T, torch.ones(24), rgb=library.sensor.rgb).eval()
    contract = build_contract("inss", asdict(config), receptive_radius(config), library.sensor, library.names,
                              library.chapters, domain="radiance", data_scale=4095.0, band_weights=[1 / 24] * 24)
    path = save_checkpoint(tmp_path / "m.pt", model, contract)
    return path, model


def test_roundtrip_gives_the_same_synthesis(saved, sensor):
    path, model = saved
    loaded, contract = load_checkpoint(path)
    x = torch.rand(1, 3, 64, 64)
    torch.testing.assert_close(loaded(x).hsi, model(x).hsi)
    assert contract["data"]["domain"] == "radiance" and contract["data"]["scale"] == 4095.0
    assert contract["library"]["n_spectra"] == 345 and len(contract["library"]["names"]) == 345
    assert contract["sensor"]["rgb"] == list(sensor.rgb)
    assert 0 < contract["receptive_radius_px"] == receptive_radius(model.config)
    check_sensor(contract, sensor, "scene")
    with pytest.raises(SensorMismatchError, match="test24.*24 channels.*224 channels"):
        check_sensor(contract, aviris_classic(), "scene")


class _Exploit:
    def __reduce__(self):
        import os

        return (os.system, ("touch /tmp/inss_geo_pwned",))


def test_pickle_that_runs_code_is_refused_not_executed(tmp_path):
    import os

    marker = "/tmp/inss_geo_pwned"
    if os.path.exists(marker):
        os.remove(marker)
    path = tmp_path / "evil.pt"
    torch.save({"format": "inss-geo-checkpoint", "payload": _Exploit()}, path)
    with pytest.raises(CheckpointError, match="refused"):
        load_checkpoint(path)
    assert not os.path.exists(marker)
    path.write_bytes(pickle.dumps(_Exploit()))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    assert not os.path.exists(marker)


def test_corrupt_and_foreign_files(tmp_path, saved):
    path, _ = saved
    truncated = tmp_path / "cut.pt"
    truncated.write_bytes(path.read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="cut.pt"):
        load_checkpoint(truncated)
    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(3)}, other)
    with pytest.raises(CheckpointError, match="not an inss-geo checkpoint"):
        load_checkpoint(other)
    with pytest.raises(InputFileError, match="not found"):
        load_checkpoint(tmp_path / "missing.pt")
