"""The CUDA paths: host arrays uploaded once, and device arrays (__cuda_array_interface__,
DLPack) read in place. Skipped without a CUDA device; CuPy and PyTorch are used when present,
and device memory is otherwise allocated through the CUDA runtime with ctypes."""

import ctypes
import ctypes.util

import numpy as np
import pytest

import hepcat

pytestmark = pytest.mark.skipif(not hepcat.build_info()["cuda_devices"],
                                reason="no CUDA device")


class DeviceArray:
    """A float32/int32 vector in device memory exposing __cuda_array_interface__ (version 3)."""

    def __init__(self, host):
        name = ctypes.util.find_library("cudart") or "libcudart.so"
        self.rt = ctypes.CDLL(name)
        self.host = np.ascontiguousarray(host)
        self.ptr = ctypes.c_void_p()
        assert self.rt.cudaMalloc(ctypes.byref(self.ptr), ctypes.c_size_t(self.host.nbytes)) == 0
        assert self.rt.cudaMemcpy(self.ptr, self.host.ctypes.data_as(ctypes.c_void_p),
                                  ctypes.c_size_t(self.host.nbytes), 1) == 0  # host to device
        self.__cuda_array_interface__ = {
            "shape": self.host.shape, "typestr": self.host.dtype.str,
            "data": (self.ptr.value, False), "strides": None, "version": 3,
        }

    def __del__(self):
        self.rt.cudaFree(self.ptr)


def columns(n=20000, seed=3):
    rng = np.random.default_rng(seed)
    return {"x": rng.uniform(size=n).astype(np.float32),
            "w": rng.uniform(0.5, 1.5, size=n).astype(np.float32),
            "p": rng.integers(0, 3, size=n).astype(np.int32)}


def test_device_arrays_are_read_in_place_and_agree_with_the_cpu():
    gpu, cpu = hepcat.Context("cuda"), hepcat.Context("cpu")
    c = columns()
    on_device = {k: DeviceArray(v) for k, v in c.items()}
    ev = hepcat.Events(on_device, features=["x"], weight="w", process="p", context=gpu)
    assert ev.borrowed == {"x": True, "weights": True, "process": True}
    assert ev.data_pointers()["x"] == on_device["x"].ptr.value
    edges = [np.linspace(0, 1, 11)]
    ref = hepcat.histogram(hepcat.Events(c, features=["x"], weight="w", process="p",
                                         context=cpu), edges)
    assert np.allclose(hepcat.histogram(ev, edges), ref, rtol=1e-6)


def test_host_arrays_on_a_cuda_context_are_uploaded():
    gpu = hepcat.Context("cuda")
    c = columns()
    ev = hepcat.Events(c, features=["x"], weight="w", process="p", context=gpu)
    assert ev.borrowed == {"x": False, "weights": False, "process": False}
    with pytest.raises(hepcat.Error, match="copy=False needs a device array"):
        hepcat.Events(c, features=["x"], context=gpu, copy=False)


@pytest.mark.parametrize("library", ["cupy", "torch"])
def test_framework_arrays_through_dlpack(library):
    lib = pytest.importorskip(library)
    if library == "torch" and not lib.cuda.is_available():
        pytest.skip("PyTorch without CUDA")
    to_device = lib.asarray if library == "cupy" else (lambda a: lib.from_numpy(a).cuda())
    gpu = hepcat.Context("cuda")
    c = columns()
    ev = hepcat.Events({k: to_device(v) for k, v in c.items()}, features=["x"], weight="w",
                       process="p", context=gpu)
    assert all(ev.borrowed.values())
    t = hepcat.Trainer(ev, signals=[0], bins=3, epochs=3)
    t.run()
    assert np.isfinite(t.history["loss"]).all()
