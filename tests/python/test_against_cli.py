"""Every Python entry point against the hepcat command line on the same inputs: the arrays are
written to HDF5 as float32 (read back bit for bit by the CLI) or to JSON, and the numbers must
be identical, not merely close."""

import json

import numpy as np
import pytest

import hepcat


def nan_for_null(values):
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def test_toy_is_the_cli_toy(cli, tmp_path, h5py):
    for study, extra in (("gato", ["--scenario", 2]), ("splitfit", ["--signal-events", 30])):
        path = tmp_path / f"{study}.h5"
        cli("toy", "--study", study, "--events", 3000, "--seed", 7, *extra, "--out", path)
        kwargs = {"scenario": 2} if study == "gato" else {"signal_events": 30}
        ours = hepcat.toy(study, events=3000, seed=7, **kwargs)
        with h5py.File(path) as f:
            assert set(f.keys()) == set(ours)
            for name, values in ours.items():
                assert values.dtype == np.float32
                assert np.array_equal(f[name][()], values), name


def test_bin_is_the_cli_bin(cli, cpu, gato_events, write_h5, read_json, tmp_path):
    path = write_h5(gato_events)
    out = tmp_path / "bin.json"
    cli("bin", "--device", "cpu", "--input", path, "--epochs", 12, "--bins", 4, "--out", out)
    ref = read_json(out)
    r = hepcat.bin(gato_events, epochs=12, bins=4, context=cpu)
    assert r.parameters.tolist() == ref["parameters"]["raw"]
    assert r.history["loss"].tolist() == [h["loss"] for h in ref["history"]]
    assert r.history["z"].tolist() == [h["z"] for h in ref["history"]]
    assert r.history["lr"].tolist() == [h["lr"] for h in ref["history"]]
    for ours, theirs in ((r.train, ref["train"]), (r.test, ref["test"]),
                         (r.baseline_train, ref["baseline"]["train"]),
                         (r.baseline_test, ref["baseline"]["test"])):
        assert ours.z == theirs["significance"]["combined"]
        assert ours.z_per_signal == theirs["significance"]["per_signal"]
        assert ours.sum_w.T.tolist() == [b["per_process"] for b in theirs["yields"]]
        assert ours.sum_w2.T.tolist() == [b["per_process_sumw2"] for b in theirs["yields"]]
    assert r.baseline_edges == ref["baseline"]["edges"]
    assert [c["mean"] for c in r.components] == [c["mean"] for c in ref["parameters"]["components"]]
    assert (r.n_train, r.n_test) == (ref["n_train"], ref["n_test"])


def test_trainer_steps_are_the_whole_job(cpu, gato_events):
    """Driving the trainer step by step on the train half gives the job's history and the
    job's train-sample yields."""
    r = hepcat.bin(gato_events, epochs=6, context=cpu)
    half = {k: v[: r.n_train] for k, v in gato_events.items()}
    ev = hepcat.Events(half, features=["s1", "s2"], weight="weight", process="process",
                       n_processes=7, context=cpu)
    assert ev.borrowed["s1"] and ev.borrowed["weights"] and not ev.borrowed["process"]
    t = hepcat.Trainer(ev, epochs=6)
    records = []
    while not t.done:
        records.append(t.step())
    assert [rec["loss"] for rec in records] == r.history["loss"].tolist()
    assert t.history["z"].tolist() == r.history["z"].tolist()
    assert t.parameters.astype(float).tolist() == r.parameters.tolist()
    s = t.evaluate()
    assert np.array_equal(s.sum_w, r.train.sum_w) and s.z == r.train.z


def test_merge_is_the_cli_merge(cli, cpu, tmp_path, read_json):
    rng = np.random.default_rng(3)
    counts = rng.gamma(2.0, 10.0, size=(3, 60))
    path = tmp_path / "hist.json"
    path.write_text(json.dumps({"counts": counts.tolist()}))
    out = tmp_path / "merged.json"
    cli("merge", "--device", "cpu", "--input", path, "--target", 10, "--target", 4, "--out", out)
    ref = read_json(out)
    results = hepcat.merge(counts, [10, 4], context=cpu)
    for ours, theirs in zip(results, ref["binnings"]):
        assert ours.n_bins == theirs["n_bins"]
        assert ours.groups == theirs["groups"]
        assert ours.counts.tolist() == theirs["counts"]
        assert ours.loc == theirs["loc"]
        for merged, group in enumerate(ours.groups):
            assert all(ours.map[b] == merged for b in group)


def test_merged_roc_and_placement_against_numpy(cpu):
    rng = np.random.default_rng(4)
    edges = np.linspace(0.0, 1.0, 21)
    x = rng.uniform(-0.1, 1.1, size=5000).astype(np.float32)  # some outside the edges
    p = (rng.uniform(size=5000) < 0.3).astype(np.int32)
    ev = hepcat.Events({"x": x, "p": p}, process="p", context=cpu)
    counts = hepcat.histogram(ev, [edges])
    fine = np.clip(np.searchsorted(edges, x, side="right") - 1, 0, 19)
    ref = np.zeros((2, 20))
    np.add.at(ref, (p, fine), 1.0)
    assert np.array_equal(counts, ref)
    m = hepcat.merge(counts, 5, edges=[edges], context=cpu)
    assert np.array_equal(m.place(ev), m.map[fine])
    # ROC: merged bins by decreasing signal/background, cumulative fractions (trapezoid AUC).
    s, b = m.counts[1], m.counts[0]
    order = np.argsort(-(s / b), kind="stable")
    tpr = np.concatenate([[0], np.cumsum(s[order]) / s.sum()])
    fpr = np.concatenate([[0], np.cumsum(b[order]) / b.sum()])
    roc = m.roc()
    assert np.allclose(roc.signal_efficiency, tpr) and np.allclose(roc.background_efficiency, fpr)
    assert roc.auc == pytest.approx(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2), rel=1e-12)


def test_cuts_are_the_cli_cuts(cli, cpu, write_h5, read_json, tmp_path):
    rng = np.random.default_rng(5)
    n = 3000
    label = (rng.uniform(size=n) < 0.4).astype(np.float32)
    data = {
        "f0": (rng.normal(size=n) + label).astype(np.float32),
        "f1": (rng.normal(size=n) - 0.7 * label).astype(np.float32),
        "label": label,
    }
    path = write_h5(data)
    out = tmp_path / "cuts.json"
    cli("cuts", "--device", "cpu", "--input", path, "--label", "label", "--targets",
        "0.3,0.6,0.9", "--epochs", 40, "--out", out)
    ref = read_json(out)
    r = hepcat.cuts(data, signal="label", targets=[0.3, 0.6, 0.9], epochs=40, context=cpu)
    assert r.features == ref["features"]
    assert r.cuts.tolist() == [x["cuts"] for x in ref["results"]]
    assert r.directions.tolist() == [x["directions"] for x in ref["results"]]
    assert r.train["sig_eff"] == [x["train"]["sig_eff"] for x in ref["results"]]
    assert r.test["bkg_eff"] == [x["test"]["bkg_eff"] for x in ref["results"]]
    assert r.final_loss == ref["final_loss"]
    assert r.auc == ref["auc"]


def test_fit_is_the_cli_fit(cli, cpu, tmp_path, read_json):
    rng = np.random.default_rng(6)
    edges = np.linspace(90.0, 160.0, 41)
    centre = 0.5 * (edges[1:] + edges[:-1])
    mean = 300 - 1.2 * (centre - 90) + 80 * np.exp(-0.5 * ((centre - 125) / 2.0) ** 2)
    hists = rng.poisson(mean, size=(25, 40)).astype(float)
    path = tmp_path / "fits.json"
    path.write_text(json.dumps({"edges": edges.tolist(), "histograms": hists.tolist()}))
    out = tmp_path / "fit.json"
    cli("fit", "--device", "cpu", "--input", path, "--model", "poly2+gauss", "--out", out)
    ref = read_json(out)
    r = hepcat.fit(hists, edges, model="poly2+gauss", context=cpu)
    names = ref["parameter_names"]
    assert r.parameter_names == names
    params = np.array([[nan_for_null([f["parameters"][n]])[0] for n in names] for f in ref["fits"]])
    errors = np.array([[nan_for_null([f["errors"][n]])[0] for n in names] for f in ref["fits"]])
    assert np.array_equal(r.parameters, params, equal_nan=True)
    assert np.array_equal(r.errors, errors, equal_nan=True)
    assert np.array_equal(r.objective, nan_for_null([f["objective"] for f in ref["fits"]]),
                          equal_nan=True)
    assert r.states.tolist() == [f["state"] for f in ref["fits"]]
    assert r.iterations.tolist() == [f["iterations"] for f in ref["fits"]]
    assert r.expected.tolist() == [f["expected"] for f in ref["fits"]]
    assert r.ndf == ref["fits"][0]["ndf"]
    assert r["mean"].shape == (25,)


def test_splitfit_is_the_cli_splitfit(cli, cpu, write_h5, read_json, tmp_path):
    data = hepcat.toy("splitfit", events=6000, signal_events=400, seed=3)
    path = write_h5(data)
    out = tmp_path / "splitfit.json"
    cli("splitfit", "--device", "cpu", "--input", path, "--features", "f0,f1,f2,f3",
        "--steps", 4, "--toys", 40, "--out", out)
    ref = read_json(out)
    r = hepcat.splitfit(data, features=["f0", "f1", "f2", "f3"], steps=4, toys=40, context=cpu)
    assert r.loss_history.tolist() == ref["loss_history"]
    assert r.model["weights"] == ref["model"]["weights"]
    assert r.model["bias"] == ref["model"]["bias"]
    assert r.significance["toys"].tolist() == ref["significance"]["toys"]
    assert r.significance["median"] == ref["significance"]["median"]


def test_splitfit_loss_gradient_against_finite_differences(cpu):
    data = hepcat.toy("splitfit", events=4000, signal_events=300, seed=4)
    rng = np.random.default_rng(7)
    scores = (data["f0"] - 0.5 + 0.1 * rng.normal(size=len(data["f0"]))).astype(np.float32)
    r = hepcat.splitfit_loss(data["mass"], scores, context=cpu)
    assert r["gradient"].shape == scores.shape
    # Central differences of the loss in a few events' scores (float32 scores: h = 1e-2).
    for i in rng.choice(len(scores), size=3, replace=False):
        up, down = scores.copy(), scores.copy()
        up[i] += 1e-2
        down[i] -= 1e-2
        loss = [hepcat.splitfit_loss(data["mass"], s, gradient=False, context=cpu)["loss"]
                for s in (up, down)]
        fd = (loss[0] - loss[1]) / 2e-2
        assert r["gradient"][i] == pytest.approx(fd, rel=5e-2, abs=1e-6)
