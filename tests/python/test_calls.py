"""Long calls: progress callbacks, Ctrl-C, the GIL released while the engine works, docstrings
and signatures for help()."""

import inspect
import os
import signal
import threading

import pytest

import hepcat


def test_progress_reports_every_epoch(cpu, gato_events):
    seen = []
    hepcat.bin(gato_events, epochs=5, context=cpu, progress=lambda d, t: seen.append((d, t)))
    assert seen == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]


def test_ctrl_c_interrupts_a_long_call_cleanly(cpu, gato_events):
    calls = []

    def interrupt_at_three(done, total):
        calls.append(done)
        if done == 3:
            os.kill(os.getpid(), signal.SIGINT)

    with pytest.raises(KeyboardInterrupt):
        hepcat.bin(gato_events, epochs=50, context=cpu, progress=interrupt_at_three)
    assert calls == [1, 2, 3]
    # The engine is usable afterwards.
    assert hepcat.bin(gato_events, epochs=2, context=cpu).history["loss"].shape == (2,)


def test_an_exception_in_the_callback_stops_the_call(cpu, gato_events):
    ev = hepcat.Events(gato_events, features=["s1", "s2"], weight="weight", process="process",
                       context=cpu)
    t = hepcat.Trainer(ev, epochs=20)

    def fail(done, total):
        raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        t.run(progress=fail)
    assert len(t.history["loss"]) == 1


def test_the_gil_is_released_during_training(cpu):
    data = hepcat.toy(events=200_000, seed=2)
    ev = hepcat.Events(data, features=["s1", "s2"], weight="weight", process="process",
                       context=cpu)
    t = hepcat.Trainer(ev, epochs=30, bins=8)
    ticks = []
    worker = threading.Thread(target=t.run)
    worker.start()
    while worker.is_alive():
        ticks.append(1)  # Python keeps running while the engine trains
        worker.join(0.001)
    assert len(t.history["loss"]) == 30
    assert len(ticks) > 5


def test_every_public_name_has_a_docstring_and_a_signature():
    for name in hepcat.__all__:
        obj = getattr(hepcat, name)
        assert obj.__doc__ and len(obj.__doc__) > 40, name
        if inspect.isfunction(obj):
            sig = inspect.signature(obj)
            assert all(p.annotation is not inspect.Parameter.empty or p.kind == p.VAR_KEYWORD
                       for p in sig.parameters.values()), name


def test_stubs_ship_with_the_package():
    here = os.path.dirname(hepcat.__file__)
    assert os.path.exists(os.path.join(here, "_hepcat.pyi"))
    assert os.path.exists(os.path.join(here, "py.typed"))


def test_the_stub_lists_exactly_what_the_extension_defines():
    import ast

    stub = os.path.join(os.path.dirname(hepcat.__file__), "_hepcat.pyi")
    tree = ast.parse(open(stub).read())
    declared = {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    defined = {n for n in dir(hepcat._hepcat) if not n.startswith("__")}
    assert declared == defined


def test_trainer_needs_ranges_for_arrays_without_min_and_max(cpu):
    class Bare:
        """A contiguous float32 column behind the DLPack protocol only."""

        def __init__(self, a):
            self.a = a

        def __dlpack__(self, stream=None):
            return self.a.__dlpack__()

        def __dlpack_device__(self):
            return self.a.__dlpack_device__()

    data = hepcat.toy(events=2000, seed=1)
    ev = hepcat.Events({"d": Bare(data["d"]), "process": data["process"]}, features=["d"],
                       process="process", context=cpu)
    with pytest.raises(hepcat.Error, match="give lo, hi and means"):
        hepcat.Trainer(ev, signals=[1])
    t = hepcat.Trainer(ev, signals=[1], lo=[0.0], hi=[1.0], means="box", epochs=2)
    t.run()
    assert t.done
