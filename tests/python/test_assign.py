"""The jet-assignment entry points against ``hepcat assign`` on the same inputs: the toy, the
baseline, a training (the model file's weights byte for byte) and an evaluation with the
published weights."""

import os
from pathlib import Path

import numpy as np
import pytest

import hepcat

FIXTURES = Path(os.environ.get("HEPCAT_SOURCE_DIR", Path(__file__).parents[2])).parent / "shared" / "fixtures" / "assign"
TTBAR = FIXTURES / "ttbar_allhad_a.h5"
PUBLISHED = FIXTURES / "abc_published_T2.h5"


@pytest.fixture(scope="module")
def ttbar():
    if not TTBAR.exists():
        pytest.skip(f"no fixture {TTBAR}")
    return hepcat.read_jets(TTBAR)


def first(jets, n):
    return {k: (v[:n] if isinstance(v, np.ndarray) else v) for k, v in jets.items()}


def test_assign_toy_is_the_cli_toy(cli, tmp_path):
    for background in (False, True):
        path = tmp_path / f"toy{int(background)}.h5"
        cli("assign", "toy", "--events", 400, "--seed", 3, "--mass", 500,
            *(["--background"] if background else []), "--out", path)
        theirs = hepcat.read_jets(path)
        ours = hepcat.assign_toy(events=400, seed=3, mass=500, background=background)
        assert set(ours) == set(theirs)
        for name in ("pt", "eta", "phi", "mask"):
            assert np.array_equal(ours[name], theirs[name]), name
        # The file stores the mass; E read back is recomputed from it in double precision.
        np.testing.assert_allclose(ours["e"], theirs["e"], rtol=1e-6)
        if not background:
            assert np.array_equal(ours["truth"], theirs["truth"])
            assert ours["parents"] == theirs["parents"]
            assert ours["daughters"] == theirs["daughters"]
    with pytest.raises(hepcat.Error, match="unknown setting"):
        hepcat.assign_toy(events=10, masss=3)


def test_assign_baseline_is_the_cli_baseline(cli, ttbar, tmp_path, h5py):
    out = tmp_path / "baseline.h5"
    cli("assign", "baseline", "--device", "cpu", "--input", TTBAR, "--out", out, "--summary", "")
    ours = hepcat.assign_baseline(ttbar, context=hepcat.Context("cpu"))
    with h5py.File(out) as f:
        assert np.array_equal(ours["triplets"], f["triplets"][()])
        for name in ("m1", "m2", "m_avg", "asymmetry"):
            assert np.array_equal(ours[name], f[name][()].astype(np.float32)), name


def test_assign_eval_is_the_cli_eval(cli, ttbar, tmp_path, h5py):
    out, summary = tmp_path / "eval.h5", tmp_path / "eval.json"
    cli("assign", "eval", "--device", "cpu", "--model", PUBLISHED, "--input", TTBAR, "--events",
        600, "--batch-size", 256, "--out", out, "--summary", summary)
    ours = hepcat.assign_eval(PUBLISHED, first(ttbar, 600), batch_size=256)
    with h5py.File(out) as f:
        for name in ("category", "probability", "logit_gap", "candidates_p4", "mass", "m_avg",
                     "loss"):
            assert np.array_equal(ours[name], f[name][()]), name


def test_assign_train_is_the_cli_train(cli, ttbar, tmp_path, h5py):
    settings = dict(epochs=2, batch_size=64, embed_dim=16, heads=2, blocks=2, seed=4)
    theirs = tmp_path / "cli.h5"
    cli("assign", "train", "--device", "cpu", "--input", TTBAR, "--events", 300, "--epochs", 2,
        "--batch-size", 64, "--embed-dim", 16, "--heads", 2, "--blocks", 2, "--seed", 4,
        "--out", theirs)
    ours = tmp_path / "python.h5"
    r = hepcat.assign_train(first(ttbar, 300), ours, context=hepcat.Context("cpu"), **settings)
    assert r["steps"] == 2 * 4  # 225 training events in batches of 64
    assert r["best_validation_loss"] < r["initial_validation_loss"]
    with h5py.File(theirs) as a, h5py.File(ours) as b:
        names = list(a["weights"].keys())
        assert names == list(b["weights"].keys()) and len(names) > 50
        for name in names:
            assert np.array_equal(a["weights"][name][()], b["weights"][name][()]), name
