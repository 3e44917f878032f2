"""Shared fixtures: the hepcat command line (HEPCAT_CLI, set by CTest) to compare against, and
HDF5 files written from the same arrays the Python calls receive (float32 datasets, which the
CLI reads bit for bit)."""

import json
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

import hepcat


@pytest.fixture(scope="session")
def cli():
    path = os.environ.get("HEPCAT_CLI")
    if not path or not Path(path).exists():
        pytest.skip("HEPCAT_CLI is not set to the hepcat tool (CTest sets it)")

    def run(*args, expect_error=False):
        p = subprocess.run([path, *map(str, args)], capture_output=True, text=True)
        if expect_error:
            assert p.returncode != 0, p.stdout
            line = p.stderr.strip().splitlines()[-1]
            assert line.startswith("hepcat: error: ")
            return line[len("hepcat: error: "):]
        assert p.returncode == 0, p.stderr
        return p.stdout

    return run


@pytest.fixture(scope="session")
def h5py():
    return pytest.importorskip("h5py")


@pytest.fixture
def write_h5(tmp_path, h5py):
    def write(columns, name="events.h5"):
        path = tmp_path / name
        with h5py.File(path, "w", track_order=True) as f:
            for key, values in columns.items():
                f[key] = np.asarray(values)
        return path

    return write


@pytest.fixture
def read_json():
    def read(path):
        with open(path) as f:
            return json.load(f)

    return read


@pytest.fixture(scope="session")
def cpu():
    return hepcat.Context("cpu")


@pytest.fixture(scope="session")
def gato_events():
    """A small GATO toy (scenario 1), float32 columns as hepcat.toy returns them."""
    return hepcat.toy(events=4000, seed=5)
