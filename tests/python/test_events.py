"""Events from Python arrays: zero-copy where the memory can be read in place, one conversion
otherwise, and every bad input raising hepcat.Error with the message the CLI prints."""

import numpy as np
import pytest

import hepcat


def columns(n=1000, seed=1):
    rng = np.random.default_rng(seed)
    return {
        "a": rng.normal(size=n).astype(np.float32),
        "b": rng.uniform(size=n).astype(np.float32),
        "w": rng.uniform(0.5, 1.5, size=n).astype(np.float32),
        "p": rng.integers(0, 3, size=n).astype(np.int32),
    }


def test_error_is_a_value_error():
    assert issubclass(hepcat.Error, ValueError)


def test_contiguous_float32_columns_are_read_in_place(cpu):
    c = columns()
    ev = hepcat.Events(c, features=["a", "b"], weight="w", process="p", context=cpu)
    ptr = ev.data_pointers()
    assert ptr["a"] == c["a"].ctypes.data
    assert ptr["b"] == c["b"].ctypes.data
    assert ptr["weights"] == c["w"].ctypes.data
    assert ptr["process"] == c["p"].ctypes.data
    assert ev.borrowed == {"a": True, "b": True, "weights": True, "process": True}


def test_zero_copy_on_a_large_array_allocates_no_copy(cpu):
    # 4e7 floats (160 MB): building the events must not add the size of a copy to the peak.
    tracemalloc = pytest.importorskip("tracemalloc")
    x = np.zeros(40_000_000, np.float32)
    tracemalloc.start()
    ev = hepcat.Events({"x": x}, context=cpu)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 1_000_000
    assert ev.data_pointers()["x"] == x.ctypes.data
    # The engine reads the caller's memory: a histogram sees a change made after construction.
    x[:10] = 2.0
    counts = hepcat.histogram(ev, [[0.0, 1.0, 3.0]])
    assert counts[0, 1] == 10


def test_engine_reads_the_numpy_memory(cpu):
    c = columns()
    ev = hepcat.Events(c, features=["a"], weight="w", process="p", context=cpu)
    edges = [-4.0, -1.0, 0.0, 1.0, 4.0]
    before = hepcat.histogram(ev, [edges])
    c["w"][:] = 2.0  # written through the caller's array, read by the engine in place
    after = hepcat.histogram(ev, [edges])
    ref = np.zeros((3, 4))
    np.add.at(ref, (c["p"], np.clip(np.digitize(c["a"], edges) - 1, 0, 3)), 2.0)
    assert np.array_equal(after, ref)
    assert not np.array_equal(before, after)


def test_dlpack_host_arrays_are_read_in_place(cpu):
    class OnlyDlpack:
        """Exposes nothing but DLPack, as a CPU tensor of another library would."""

        def __init__(self, a):
            self.a = a

        def __dlpack__(self, stream=None):
            return self.a.__dlpack__()

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    c = columns()
    if not hasattr(c["a"], "__dlpack__"):
        pytest.skip("NumPy without __dlpack__")
    ev = hepcat.Events({"a": OnlyDlpack(c["a"])}, context=cpu)
    assert ev.data_pointers()["a"] == c["a"].ctypes.data
    assert ev.borrowed["a"]
    with pytest.raises(hepcat.Error, match="float32"):
        hepcat.Events({"a": OnlyDlpack(c["a"].astype(np.float64))}, context=cpu)


def test_other_dtypes_are_converted_once_to_the_same_events(cpu):
    c = columns()
    edges = [[-4.0, -1.0, 0.0, 1.0, 4.0]]
    ref = hepcat.histogram(
        hepcat.Events(c, features=["a"], weight="w", process="p", context=cpu), edges)
    d = {"a": c["a"].astype(np.float64), "w": c["w"].astype(np.float64),
         "p": c["p"].astype(np.int64)}
    ev = hepcat.Events(d, features=["a"], weight="w", process="p", context=cpu)
    assert ev.borrowed == {"a": False, "weights": False, "process": False}
    assert np.array_equal(hepcat.histogram(ev, edges), ref)
    # Process ids given as floats holding integers (as files store them).
    d["p"] = c["p"].astype(np.float32)
    ev = hepcat.Events(d, features=["a"], weight="w", process="p", context=cpu)
    assert np.array_equal(hepcat.histogram(ev, edges), ref)


def test_structured_arrays_and_strided_columns_are_converted(cpu):
    c = columns()
    s = np.zeros(len(c["a"]), dtype=[("a", "f4"), ("b", "f4"), ("w", "f4")])
    for k in "abw":
        s[k] = c[k]
    ev = hepcat.Events(s, features=["a", "b"], weight="w", context=cpu)
    assert ev.borrowed["a"] is False
    assert np.allclose(ev.process_weight_sums, [c["w"].astype(np.float64).sum()])
    with pytest.raises(hepcat.Error, match="not contiguous.*copy=False"):
        hepcat.Events(s, features=["a"], context=cpu, copy=False)


def test_pandas_dataframe(cpu):
    pd = pytest.importorskip("pandas")
    c = columns()
    ev = hepcat.Events(pd.DataFrame(c), features=["a", "b"], weight="w", process="p", context=cpu)
    assert len(ev) == len(c["a"]) and ev.n_processes == 3


def test_copy_false_refuses_a_conversion(cpu):
    with pytest.raises(hepcat.Error, match="dtype float64: it would be copied"):
        hepcat.Events({"a": np.zeros(4)}, context=cpu, copy=False)


@pytest.mark.parametrize(
    "data, kwargs, message",
    [
        ({"a": np.zeros(4, np.float32)}, {"features": ["x"]},
         "unknown column 'x' (available: a)"),
        ({"a": np.zeros(4, np.float32), "b": np.zeros(3, np.float32)}, {},
         "feature 'b' has 3 rows, but feature 'a' has 4"),
        ({"a": np.zeros(4, np.float32), "w": np.ones(5, np.float32)}, {"weight": "w"},
         "weight column 'w' has 5 rows, but feature 'a' has 4"),
        ({"a": np.array(["x", "y"])}, {}, "feature 'a' has dtype <U1, not a real number type"),
        ({"a": np.zeros((2, 2), np.float32)}, {}, "feature 'a' has 2 dimensions, columns are 1-D"),
        ({"a": np.array([0, 1, np.inf, 2], np.float32)}, {},
         "feature 'a' has a non-finite value (inf) at row 2"),
        ({"a": np.zeros(3, np.float32), "p": np.array([0, 1.5, 2])}, {"process": "p"},
         "process column 'p' has 1.5 at row 1: process ids are non-negative integers"),
        ({"a": np.zeros(3, np.float32), "p": np.array([0, -1, 2], np.int32)}, {"process": "p"},
         "process column 'p' has -1 at row 1: process ids are non-negative integers"),
        ({"a": np.zeros(0, np.float32)}, {}, "no events: the feature columns are empty"),
        ([1, 2, 3], {}, "events must be a mapping"),
    ],
)
def test_bad_inputs_raise_a_clear_error(cpu, data, kwargs, message):
    with pytest.raises(hepcat.Error) as e:
        hepcat.Events(data, context=cpu, **kwargs)
    assert message in str(e.value)


def test_nan_message_is_the_cli_message(cpu, cli, write_h5):
    x = np.array([0.1, 0.2, np.nan, 0.3], np.float32)
    path = write_h5({"x": x, "process": np.zeros(4, np.float32)})
    cli_message = cli("merge", "--events", path, "--features", "x", "--process", "process",
                      "--edges", "0:1:4", "--target", "2", "--out", path.with_suffix(".json"),
                      expect_error=True)
    with pytest.raises(hepcat.Error) as e:
        hepcat.Events({"x": x, "process": np.zeros(4, np.float32)}, features=["x"],
                      process="process", context=cpu)
    assert str(e.value) == cli_message
