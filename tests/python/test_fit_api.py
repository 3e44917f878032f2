"""hepcat.fit with template components and results written to HDF5: against iminuit's fixtures
(tests/reference/fit_templates_iminuit.json) and against the JSON of the same call."""

import json
from pathlib import Path

import numpy as np
import pytest

import hepcat

REFERENCE = Path(__file__).resolve().parents[1] / "reference" / "fit_templates_iminuit.json"


def reference():
    with open(REFERENCE) as f:
        return json.load(f)


def test_template_fits_match_iminuit(cpu):
    ref = reference()
    compared = 0
    for c in ref["cases"]:
        if not c["valid"] or c["model"] != "template+template":
            continue
        r = hepcat.fit(
            np.array(c["histogram"]), ref["edges"], model="none", estimator=c["estimator"],
            initial=c["start"], variances=np.array(c["histogram"]) + 1.0,
            templates=c["templates"], template_variances=c["template_variances"],
            tolerance=1e-10, context=cpu,
        )
        assert r.parameter_names == ["template0", "template1"]
        assert r.objective[0] <= c["minimum"] + 1e-6
        errors = np.sqrt(np.diag(np.array(c["covariance_fd"])))
        assert np.all(np.abs(r.parameters[0] - c["parameters"]) < 1e-3 * errors)
        assert np.allclose(r.covariance[0], c["covariance_fd"], rtol=2e-4)
        assert r.valid[0] == 1
        # The expectations include the templates: their sum is the sum of the yields.
        assert r.expected[0].sum() == pytest.approx(r.parameters[0].sum(), rel=1e-12)
        compared += 1
    assert compared >= 30


def test_bad_templates_are_one_error(cpu):
    edges = [0.0, 1.0, 2.0, 3.0]
    with pytest.raises(hepcat.Error, match="template 0 bin 1 is negative"):
        hepcat.fit([3.0, 4.0, 5.0], edges, model="poly0", templates=[1.0, -1.0, 2.0],
                   initial=[1.0, 3.0], context=cpu)
    with pytest.raises(hepcat.Error, match="templates must be n_templates x n_bins"):
        hepcat.fit([3.0, 4.0, 5.0], edges, model="poly0", templates=[1.0, 2.0],
                   initial=[1.0, 3.0], context=cpu)


def test_hdf5_output_is_the_json_output(cpu, tmp_path):
    h5py = pytest.importorskip("h5py")
    rng = np.random.default_rng(11)
    edges = np.linspace(90.0, 160.0, 41)
    centre = 0.5 * (edges[1:] + edges[:-1])
    mu = 1.75 * (300 - 1.5 * (centre - 90) + 400 / np.sqrt(2 * np.pi) / 2 *
                 np.exp(-0.5 * ((centre - 125) / 2) ** 2))
    hists = rng.poisson(mu, size=(6, 40)).astype(float)
    kwargs = dict(model="poly1+gauss", initial=[300, -100, 100, 124, 2.5], minos=["yield"],
                  significance=True, context=cpu)
    r = hepcat.fit(hists, edges, out=str(tmp_path / "fits.h5"), **kwargs)
    hepcat.fit(hists, edges, out=str(tmp_path / "fits.json"), **kwargs)
    with open(tmp_path / "fits.json") as f:
        js = json.load(f)
    names = js["parameter_names"]

    def nan(v):
        return np.nan if v is None else v

    with h5py.File(tmp_path / "fits.h5", "r") as f:
        assert [n.decode() if isinstance(n, bytes) else n for n in f.attrs["parameter_names"]] \
            == names
        assert f["parameters"].shape == (6, len(names))
        assert np.array_equal(f["parameters"][()], r.parameters, equal_nan=True)
        assert np.array_equal(f["covariance"][()], r.covariance, equal_nan=True)
        assert np.array_equal(f["minos"][()], r.minos, equal_nan=True)
        for k, fit in enumerate(js["fits"]):
            assert np.allclose([f["parameters"][k, i] for i in range(len(names))],
                               [nan(fit["parameters"][n]) for n in names], rtol=1e-14,
                               equal_nan=True)
            assert np.allclose(f["correlation"][k], np.array(fit["correlation"], dtype=float),
                               rtol=1e-14, atol=0, equal_nan=True)
            assert f["minimum"][k] == pytest.approx(fit["objective"], rel=1e-14)
            assert f["ndf"][k] == fit["ndf"] == r.ndf
            assert f["iterations"][k] == fit["iterations"]
            assert f["evaluations"][k] == fit["evaluations"]
            assert bool(f["valid"][k]) == fit["valid"]
            assert f["edm"][k] == pytest.approx(nan(fit["edm"]), rel=1e-14, abs=1e-300, nan_ok=True)
            assert np.allclose(f["minos"][k, 0], np.array(fit["minos"]["yield"], dtype=float),
                               rtol=1e-14, equal_nan=True)
            assert f["significance"][k] == pytest.approx(nan(fit["significance"]), rel=1e-14,
                                                         nan_ok=True)
