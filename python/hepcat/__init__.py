"""hepcat: differentiable analysis optimisation for high-energy physics, from Python.

The C++/CUDA engine behind the ``hepcat`` command line, bound with pybind11. Events come in as
NumPy arrays (a dict of columns as uproot returns them, a structured array or a pandas
DataFrame), or as CuPy/PyTorch arrays on a GPU; results come back as objects holding NumPy
arrays. The numbers are the command line's: the same inputs give the same results.

Functions
---------
toy          the seed studies' toy events (GATO, Split-N-Fit)
Events       events on the engine's device, zero-copy for contiguous float32 columns
Trainer      GATO category training, one step at a time (``.step()``, ``.history``)
bin          the whole ``hepcat bin`` job: train, test, baseline
merge        minimal-loss bin merging (MiLoMerge) of a histogram
histogram    the fine histogram of events, one row per process
cuts         rectangular cuts at signal-efficiency working points (CABIN)
fit          a batch of binned fits with one model
splitfit     Split-N-Fit training of a logistic score; splitfit_loss for other frameworks
read_jets    jet events from HDF5 (SPANet or ABC layout), as [events][jets] arrays
assign_toy   pair-produced resonances to 2 x 3 jets, or a multijet background (``hepcat assign toy``)
assign_baseline, assign_train, assign_eval   ``hepcat assign baseline / train / eval``

Errors: every failure the engine detects raises :class:`Error`, a subclass of ``ValueError``
(almost all are bad input), with the message ``hepcat`` prints on the command line. Long calls
release the GIL, take an optional ``progress(done, total)`` callable and stop cleanly on Ctrl-C
(``KeyboardInterrupt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

import numpy as np

from . import _hepcat

__all__ = [
    "Error",
    "Context",
    "build_info",
    "toy",
    "Events",
    "Trainer",
    "bin",
    "BinningResult",
    "Sample",
    "merge",
    "MergeResult",
    "RocCurve",
    "histogram",
    "loc_length",
    "cuts",
    "CutsResult",
    "fit",
    "FitResult",
    "splitfit",
    "SplitFitResult",
    "splitfit_loss",
    "read_jets",
    "assign_toy",
    "assign_baseline",
    "assign_train",
    "assign_eval",
]

__version__ = _hepcat.build_info()["version"]

Error = _hepcat.Error
Error.__doc__ = """Raised for every failure the engine detects.

A subclass of ``ValueError``: nearly every failure is bad input (an unknown column, a NaN at
some row, columns of different lengths, an unknown model name), and the message names the input
and what is wrong, exactly as the ``hepcat`` command line prints it after ``hepcat: error:``.
CUDA failures raise it too, with the failing call, file and line.
"""

Progress = Optional[Callable[[int, int], Any]]
ArrayLike = Any


class Context(_hepcat.Context):
    """The device every call runs on.

    ``Context("auto")`` picks CUDA device 0 when one is present and the CPU (OpenMP) otherwise;
    ``"cpu"``, ``"cuda"`` and ``"cuda:N"`` ask for one. Asking for CUDA on a machine without a
    device raises :class:`Error`. Functions that take ``context=None`` use one shared
    ``Context("auto")``.

    Attributes: ``backend`` ("cpu" or "cuda"), ``device_name``, ``device_index`` (-1 on the CPU),
    ``is_cuda``.
    """

    def __init__(self, device: str = "auto", verbose: bool = False) -> None:
        super().__init__(device, verbose)

    def __repr__(self) -> str:
        return f"hepcat.Context({self.device_name!r})"


_default: Optional[Context] = None


def _context(context: Optional[Context]) -> Context:
    global _default
    if context is not None:
        return context
    if _default is None:
        _default = Context("auto")
    return _default


def build_info() -> Dict[str, Any]:
    """What this build of the engine contains: version, CUDA (and its architectures), HDF5,
    OpenMP, CPU threads and the CUDA devices present."""
    return _hepcat.build_info()


# ---- events -----------------------------------------------------------------------------------


def _columns(data: Any) -> Dict[str, Any]:
    """Column name -> array from a mapping, a NumPy structured array or a pandas DataFrame."""
    if isinstance(data, Mapping):
        return {str(k): v for k, v in data.items()}
    if isinstance(data, np.ndarray) and data.dtype.names:
        return {name: data[name] for name in data.dtype.names}
    if type(data).__module__.split(".")[0] == "pandas" and hasattr(data, "columns"):
        return {str(c): data[c].to_numpy() for c in data.columns}
    raise Error(
        "events must be a mapping of column names to arrays, a NumPy structured array or a "
        f"pandas DataFrame, got {type(data).__name__}"
    )


def _column(columns: Mapping[str, Any], name: str) -> Any:
    if name not in columns:
        raise Error(f"unknown column '{name}' (available: {', '.join(columns)})")
    return columns[name]


def _host_column(columns: Mapping[str, Any], name: str) -> Any:
    column = _column(columns, name)
    return column if hasattr(column, "__array_interface__") else np.asarray(column)


def _ids(values: Union[int, Sequence[int]]) -> List[int]:
    return [int(values)] if np.isscalar(values) else [int(v) for v in values]


class Events:
    """Events on the context's device: float feature columns, weights and process ids.

    ``data`` is a mapping of column names to 1-D arrays (what ``uproot``'s ``arrays(...,
    library="np")`` returns), a NumPy structured array or a pandas DataFrame. ``features``
    lists the feature columns (default: every column but the weight and process ones);
    ``weight`` and ``process`` name those columns (None: unit weights, one process).

    Zero-copy: on the CPU a contiguous float32 feature or weight column and an int32 process
    column are used in place (``borrowed`` says which were); keep them unchanged while the
    events are in use. Any other real dtype (float64, integers, booleans) and strided columns
    (a structured array's fields) are converted once to float32 (process ids to int32, each
    checked to be a non-negative integer). ``copy=False`` raises :class:`Error` instead of
    converting; ``copy=True`` copies every feature column to a new float32 host array first
    (for arrays that will change while the events are in use). On a CUDA context, arrays
    exposing ``__dlpack__`` or ``__cuda_array_interface__`` on the same device (CuPy, PyTorch
    CUDA tensors) are used in place, and host arrays are uploaded once. DLPack producers order their pending work before the engine's stream (the
    protocol's handshake); a ``__cuda_array_interface__`` array must be ready before the call.

    Validated as the command line validates files: lengths, NaN or infinite values (with the
    first bad row), process ids; failures raise :class:`Error`.
    """

    def __init__(
        self,
        data: Any,
        features: Optional[Sequence[str]] = None,
        weight: Optional[str] = None,
        process: Optional[str] = None,
        n_processes: int = 0,
        context: Optional[Context] = None,
        copy: Optional[bool] = None,
    ) -> None:
        columns = _columns(data)
        if features is None:
            features = [c for c in columns if c not in (weight, process)]
        self.context = _context(context)
        self.columns = {name: _column(columns, name) for name in features}
        if copy:
            self.columns = {n: np.array(c, dtype=np.float32) for n, c in self.columns.items()}
        weights = None if weight is None else _column(columns, weight)
        ids = None if process is None else _column(columns, process)
        self._events = _hepcat.Events(
            self.context,
            list(features),
            list(self.columns.values()),
            weights,
            ids,
            n_processes,
            copy is not False,
            "weights" if weight is None else f"weight column '{weight}'",
            "process ids" if process is None else f"process column '{process}'",
        )

    def __len__(self) -> int:
        return self._events.size

    @property
    def feature_names(self) -> List[str]:
        """The feature columns, in order."""
        return self._events.feature_names

    @property
    def n_processes(self) -> int:
        """Number of processes (one more than the largest id unless given)."""
        return self._events.n_processes

    @property
    def process_weight_sums(self) -> np.ndarray:
        """Sum of weights per process (double precision)."""
        return np.asarray(self._events.process_weight_sums)

    @property
    def borrowed(self) -> Dict[str, bool]:
        """Per column (features, "weights", "process"): True when the caller's memory is used in
        place, False when it was converted, uploaded or filled with defaults."""
        return self._events.borrowed

    def data_pointers(self) -> Dict[str, int]:
        """The addresses the engine reads each column from (for zero-copy checks)."""
        return self._events.data_pointers()

    def __repr__(self) -> str:
        return (
            f"hepcat.Events({len(self)} events, features {self.feature_names}, "
            f"{self.n_processes} processes, on {self.context.device_name})"
        )


def toy(
    study: str = "gato",
    scenario: int = 1,
    events: int = 1_000_000,
    seed: int = 1,
    lumi: float = 100.0,
    signal_events: int = 200,
    mismodelled: bool = False,
) -> Dict[str, np.ndarray]:
    """The toy events ``hepcat toy`` writes, as a dict of float32 columns.

    ``study="gato"``: columns x, y, z, d, s1, s2, sb, weight, process for ``events`` events of
    scenario 1 or 2 at ``lumi`` pb^-1 (processes 0 and 1 are the signals). ``study="splitfit"``:
    columns mass, f0..f3, weight, label with ``events`` background and ``signal_events`` signal
    events (``mismodelled`` smears the background features). Same seed, same numbers as the CLI.
    """
    if study == "gato":
        if scenario not in (1, 2):
            raise Error(f"--scenario must be 1 or 2, got {scenario}")
        if events < 1:
            raise Error(f"--events must be at least 1, got {events}")
        return _hepcat.gato_toy(scenario, events, seed, lumi)
    if study == "splitfit":
        return _hepcat.splitfit_toy(events, signal_events, mismodelled, seed)
    raise Error(f"unknown study '{study}' (available: gato, splitfit)")


# ---- binning ----------------------------------------------------------------------------------


@dataclass
class Sample:
    """Hard-assignment yields and significance of one binning on one sample.

    ``sum_w`` and ``sum_w2`` are (processes x bins) arrays of the summed weights and squared
    weights; ``z`` the combined significance, ``z_per_signal`` one per signal, ``loss`` the
    objective on these yields.
    """

    sum_w: np.ndarray
    sum_w2: np.ndarray
    z: float
    z_per_signal: List[float]
    loss: float

    @classmethod
    def _of(cls, d: Dict[str, Any]) -> "Sample":
        s = d["significance"]
        return cls(d["sum_w"], d["sum_w2"], s["z"], s["z_per_signal"], s["loss"])

    def signal(self, signals: Sequence[int]) -> np.ndarray:
        """Per bin, the summed weights of the given signal processes."""
        return self.sum_w[list(signals)].sum(axis=0)

    def background(self, signals: Sequence[int]) -> np.ndarray:
        """Per bin, the summed weights of every process that is not a signal."""
        mask = np.ones(self.sum_w.shape[0], bool)
        mask[list(signals)] = False
        return self.sum_w[mask].sum(axis=0)


@dataclass
class BinningResult:
    """What :func:`bin` returns (the fields of ``hepcat bin --out``).

    ``parameters``: the raw model parameters; ``components`` (GMM: per component ``mean``,
    ``covariance``, ``weight``) or ``boundaries`` (sigmoid: per variable); ``train``/``test``:
    :class:`Sample` of the learned categories; ``baseline``: name, edges and train/test
    :class:`Sample` of the equidistant (1D) or argmax (several scores) binning with as many bins;
    ``history``: per epoch arrays ``epoch``, ``loss``, ``z``, ``z_per_signal``, ``lr``,
    ``temperature`` (the sigmoid steepness for that model).
    """

    model: str
    bins: int
    features: List[str]
    signals: List[int]
    parameters: np.ndarray
    train: Sample
    test: Sample
    baseline_name: str
    baseline_edges: List[List[float]]
    baseline_train: Sample
    baseline_test: Sample
    history: Dict[str, np.ndarray]
    n_train: int
    n_test: int
    seconds: float
    device: str
    components: Optional[List[Dict[str, Any]]] = None
    boundaries: Optional[List[List[float]]] = None
    means: Optional[str] = None

    def table(self) -> str:
        """The significance table (Markdown): optimised against baseline, train and test."""
        rows = [
            "| binning | bins | Z train | Z test |",
            "|---|---|---|---|",
            f"| {self.model} | {self.bins} | {self.train.z:.4f} | {self.test.z:.4f} |",
            f"| {self.baseline_name} | {self.bins} | {self.baseline_train.z:.4f} | "
            f"{self.baseline_test.z:.4f} |",
        ]
        return "\n".join(rows)


def bin(
    data: Any,
    features: Sequence[str] = ("s1", "s2"),
    weight: Optional[str] = "weight",
    process: Optional[str] = "process",
    signals: Union[int, Sequence[int]] = (0, 1),
    model: str = "gmm",
    bins: int = 5,
    means: str = "auto",
    sigma_base: float = 0.1,
    epochs: int = 100,
    optimizer: str = "adam",
    lr: str = "cosine:0.1:0.001",
    temperature: str = "cosine:1.0:0.05",
    steepness: str = "cosine:50:10000",
    combination: str = "geometric",
    b_min: float = 10.0,
    lambda_low: float = 0.01,
    max_rel_unc: float = 0.2,
    lambda_unc: float = 0.0,
    test_fraction: float = 0.5,
    patience: int = 0,
    seed: int = 1,
    context: Optional[Context] = None,
    progress: Progress = None,
) -> BinningResult:
    """Significance-optimised categories (GATO): ``hepcat bin --input`` on in-memory columns.

    The last ``test_fraction`` of the rows form the test sample. A GMM (``model="gmm"``, ``bins``
    components; ``means`` "simplex", "box" or "auto") or sigmoid boundaries (``bins`` per
    variable) are trained for ``epochs`` full-batch epochs on the train sample; the learned hard
    categories and a baseline with as many bins are evaluated on both samples. Schedules are
    ``value`` or ``kind:start:end`` (constant, linear, cosine, exponential). The objective
    combines the signals' Asimov significances (``combination``) with the P_low (``b_min``,
    ``lambda_low``) and P_unc (``max_rel_unc``, ``lambda_unc``) penalties. Defaults are the
    command line's.

    The columns are converted once to float32 host tables (the job splits them); use
    :class:`Events` and :class:`Trainer` to train in place. ``progress(epoch, epochs)`` is
    called after every epoch.
    """
    columns = _columns(data)
    names = list(features) + [c for c in (weight, process) if c]
    used = {name: _host_column(columns, name) for name in names}
    d = _hepcat.bin(
        used, list(features), weight or "", process or "", _ids(signals), model, bins, means,
        sigma_base, epochs, optimizer, lr, temperature, steepness, combination, b_min,
        lambda_low, max_rel_unc, lambda_unc, test_fraction, patience, seed, _context(context),
        progress,
    )
    base = d["baseline"]
    return BinningResult(
        model=d["model"], bins=d["bins"], features=d["features"], signals=d["signals"],
        parameters=d["parameters"], train=Sample._of(d["train"]), test=Sample._of(d["test"]),
        baseline_name=base["name"], baseline_edges=base["edges"],
        baseline_train=Sample._of(base["train"]), baseline_test=Sample._of(base["test"]),
        history=d["history"], n_train=d["n_train"], n_test=d["n_test"], seconds=d["seconds"],
        device=d["device"], components=d.get("components"), boundaries=d.get("boundaries"),
        means=d.get("means"),
    )


class Trainer:
    """GATO category training driven from Python, one epoch per :meth:`step`.

    Trains a GMM or sigmoid-boundary model on :class:`Events` (used in place: nothing is copied
    per step), so that a notebook can plot the loss or the categories as training goes. The
    arguments are those of :func:`bin`; ``features`` defaults to all of the events' features,
    ``lo``/``hi`` to each feature's range on these events (read with the arrays' own ``min``
    and ``max``, on their device), ``means="auto"`` picks the simplex when there are at least
    two features, all non-negative and summing to at most 1.

    ``step()`` returns the epoch's record (``epoch``, ``loss``, ``z``, ``z_per_signal``, ``lr``,
    ``temperature``); ``history`` holds every record as arrays; ``parameters`` the raw model
    parameters; ``model()`` the components or boundaries in the features' units;
    ``evaluate(events)`` the hard-category yields and significance on any events.
    """

    def __init__(
        self,
        events: Events,
        features: Optional[Sequence[str]] = None,
        signals: Union[int, Sequence[int]] = (0, 1),
        model: str = "gmm",
        bins: int = 5,
        means: str = "auto",
        lo: Optional[Sequence[float]] = None,
        hi: Optional[Sequence[float]] = None,
        sigma_base: float = 0.1,
        epochs: int = 100,
        optimizer: str = "adam",
        lr: str = "cosine:0.1:0.001",
        temperature: str = "cosine:1.0:0.05",
        steepness: str = "cosine:50:10000",
        combination: str = "geometric",
        b_min: float = 10.0,
        lambda_low: float = 0.01,
        max_rel_unc: float = 0.2,
        lambda_unc: float = 0.0,
        patience: int = 0,
        seed: int = 1,
    ) -> None:
        names = list(features) if features is not None else events.feature_names
        index = [events.feature_names.index(n) if n in events.feature_names else -1 for n in names]
        if -1 in index:
            bad = names[index.index(-1)]
            raise Error(
                f"unknown feature '{bad}' (available: {', '.join(events.feature_names)})"
            )
        cols = [events.columns[n] for n in names]
        if (lo is None or hi is None or means == "auto") and not all(
            hasattr(c, "min") and hasattr(c, "max") for c in cols
        ):
            raise Error("give lo, hi and means for feature arrays without min() and max()")
        if lo is None or hi is None:
            mins = [float(c.min()) for c in cols]
            maxs = [float(c.max()) for c in cols]
            lo = mins if lo is None else lo
            hi = [mx if mx > mn else mn + 1.0 for mn, mx in zip(mins, maxs)] if hi is None else hi
        if means == "auto":
            simplex = len(cols) >= 2 and all(float(c.min()) >= 0 for c in cols)
            total = sum(c.astype("float64") if hasattr(c, "astype") else c.double()
                        for c in cols)
            simplex = simplex and float(total.max()) <= 1.0 + 1e-4
            means = "simplex" if simplex else "box"
        widest = max(h - l for l, h in zip(lo, hi))
        self.events = events
        self.epochs = epochs
        self._trainer = _hepcat.Trainer(
            events._events, index, model, bins, means, list(lo), list(hi),
            sigma_base * (widest if means == "box" else 1.0), _ids(signals), combination, b_min,
            lambda_low, max_rel_unc, lambda_unc, epochs, optimizer, lr, temperature, steepness,
            patience, seed,
        )

    def step(self) -> Dict[str, Any]:
        """One epoch (loss and gradient at this epoch's schedule values, then one optimiser
        step); returns its record."""
        return self._trainer.step()

    def run(self, progress: Progress = None) -> Dict[str, np.ndarray]:
        """Epochs until done (``epochs`` or an early stop), calling ``progress(epoch, epochs)``
        after each; returns :attr:`history`."""
        self._trainer.run(progress, self.epochs)
        return self.history

    @property
    def done(self) -> bool:
        """True after ``epochs`` epochs or an early stop."""
        return self._trainer.done

    @property
    def history(self) -> Dict[str, np.ndarray]:
        """Every epoch so far: arrays ``epoch``, ``loss``, ``z``, ``z_per_signal`` (epochs x
        signals), ``lr``, ``temperature``."""
        return self._trainer.history

    @property
    def parameters(self) -> np.ndarray:
        """The raw model parameters (float32, a copy)."""
        return self._trainer.parameters

    @property
    def gradient(self) -> np.ndarray:
        """dL/dparameters of the last epoch."""
        return self._trainer.gradient

    def model(self) -> Dict[str, Any]:
        """The current model in the features' units: GMM ``components`` (``mean``,
        ``covariance``, ``weight``) or sigmoid ``boundaries`` per variable."""
        return self._trainer.describe()

    def evaluate(self, events: Optional[Events] = None) -> Sample:
        """Hard-category yields and significance of the current parameters on ``events``
        (default: the training events)."""
        return Sample._of(self._trainer.evaluate(None if events is None else events._events))


# ---- merging ----------------------------------------------------------------------------------


@dataclass
class RocCurve:
    """ROC points of two hypotheses through the bins sorted by decreasing ratio, and the AUC."""

    background_efficiency: np.ndarray
    signal_efficiency: np.ndarray
    auc: float


@dataclass
class MergeResult:
    """One merged binning (the fields of ``hepcat merge --out``).

    ``map[b]``: the merged bin of original bin b; ``groups``: per merged bin its original bins;
    ``counts``: (hypotheses x merged bins); ``edges``: new edges along the axis (local merger
    only); ``loc``: LOC length ``before``, ``after``, ``retained`` and ``separation_retained``.
    """

    n_bins: int
    map: np.ndarray
    groups: List[List[int]]
    counts: np.ndarray
    edges: np.ndarray
    loc: Dict[str, float]
    input_edges: Optional[List[np.ndarray]]
    seconds: float

    def roc(self, signal: int = 1, background: int = 0) -> RocCurve:
        """ROC curve of hypothesis ``signal`` against ``background`` on the merged bins."""
        return RocCurve(*_hepcat.roc_curve(self.counts, signal, background))

    def place(self, events: Events, features: Optional[Sequence[str]] = None) -> np.ndarray:
        """Per event, its merged bin: the original bin from the input edges (values outside are
        clamped into the edge bins), mapped through :attr:`map`. Needs the histogram's
        ``edges``; ``features`` (default: the events' features) give one column per
        dimension."""
        if self.input_edges is None:
            raise Error("placing events needs the histogram's edges (merge(..., edges=...))")
        names = list(features) if features is not None else events.feature_names
        index = [events.feature_names.index(n) for n in names]
        return _hepcat.place_events(events._events, list(self.map), self.input_edges, index)


def _edges(edges: Any) -> List[List[float]]:
    if edges is None:
        return []
    edges = list(edges)
    if edges and np.isscalar(edges[0]):
        edges = [edges]
    return [list(map(float, e)) for e in edges]


def merge(
    counts: ArrayLike,
    target: Union[int, Sequence[int]],
    metric: str = "loc_length",
    edges: Any = None,
    pair_weights: Optional[ArrayLike] = None,
    comp_to_first: bool = False,
    merger: str = "nonlocal",
    axis: int = 0,
    context: Optional[Context] = None,
    progress: Progress = None,
) -> Union[MergeResult, List[MergeResult]]:
    """Minimal-loss merging (MiLoMerge) of a histogram with one row per hypothesis.

    ``counts``: (hypotheses x bins...) array; an nD histogram is flattened in C order and its
    ``edges`` (one array per dimension) let :meth:`MergeResult.place` put events into merged
    bins. ``target``: a number of bins, or several (one greedy run gives them all); returns one
    :class:`MergeResult` or a list. ``metric``: "loc_length" or "determinant"; ``merger``:
    "nonlocal" (any two bins) or "local" (neighbours along ``axis``). ``progress(done, total)``
    is called now and then with the merges done.
    """
    targets = _ids(target)
    e = _edges(edges)
    binnings, seconds = _hepcat.merge(
        counts, e, targets, metric, pair_weights, comp_to_first, merger, axis,
        _context(context), progress,
    )
    results = [
        MergeResult(
            b["n_bins"], b["map"], b["groups"], b["counts"], b["edges"], b["loc"],
            [np.asarray(x) for x in e] if e else None, seconds,
        )
        for b in binnings
    ]
    return results[0] if np.isscalar(target) else results


def histogram(
    events: Events, edges: Any, features: Optional[Sequence[str]] = None
) -> np.ndarray:
    """The fine histogram of ``events`` (``hepcat merge --events``): one row per process,
    weights summed in double, one edges array per feature (C order over the dimensions);
    values outside the edges count in the first or last bin."""
    names = list(features) if features is not None else events.feature_names
    index = [events.feature_names.index(n) for n in names]
    return _hepcat.fill_histogram(events._events, index, _edges(edges))


def loc_length(counts: ArrayLike, normalisation: Optional[ArrayLike] = None) -> float:
    """LOC length of a (hypotheses x bins) histogram: sqrt(n_hyp) means no separation, n_hyp
    full separation. ``normalisation`` per hypothesis (default: each row's sum of |counts|)."""
    return _hepcat.loc_length(counts, normalisation)


# ---- cuts -------------------------------------------------------------------------------------


@dataclass
class CutsResult:
    """What :func:`cuts` returns (the fields of ``hepcat cuts --out``).

    One row per network (grid cell, then increasing target): ``cell``, ``target``, ``cuts``
    (networks x features, original units), ``directions`` (+1: x > cut, -1: x < cut).
    ``train``/``test``: hard-cut efficiencies ``sig_eff``/``bkg_eff`` per network and
    ``target_sig_eff``/``target_bkg_eff`` per target; ``auc``: hard-cut AUC on the test sample
    (the train one without test events).
    """

    features: List[str]
    targets: List[float]
    cell: np.ndarray
    target: np.ndarray
    cuts: np.ndarray
    directions: np.ndarray
    train: Dict[str, List[float]]
    test: Optional[Dict[str, List[float]]]
    final_loss: Dict[str, float]
    auc: float
    auc_train: float
    n_train: int
    n_test: int
    device: str


def cuts(
    data: Any,
    signal: str = "label",
    features: Optional[Sequence[str]] = None,
    weight: Optional[str] = None,
    targets: Sequence[float] = (
        0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.93, 0.95
    ),
    train_fraction: float = 0.8,
    directions: Optional[Sequence[int]] = None,
    learn_directions: bool = False,
    steepness: float = 15.0,
    epochs: int = 1000,
    optimizer: str = "sgd",
    lr: str = "0.5",
    alpha: float = 10.0,
    beta: float = 0.1,
    gamma: float = 1e-5,
    delta: float = 1e-3,
    epsilon: float = 1.0,
    rho: float = 0.1,
    weighted_standardisation: bool = False,
    grid_variable: Optional[str] = None,
    grid_edges: Sequence[float] = (),
    context: Optional[Context] = None,
    progress: Progress = None,
) -> CutsResult:
    """Rectangular cuts learned by gradient at signal-efficiency working points (CABIN), as
    ``hepcat cuts --label``.

    ``signal`` names the 0/1 label column; ``features`` default to every other column (but
    ``weight`` and ``grid_variable``). The first ``train_fraction`` of the rows train, the rest
    test. ``directions``: per feature +1, -1 or 0 (auto). Loss weights ``alpha`` .. ``rho`` and
    all defaults are the command line's (the published ones). ``grid_variable`` with
    ``grid_edges`` learns one scan per bin of that column. ``progress(epoch, epochs)`` after
    every epoch.
    """
    columns = _columns(data)
    if (grid_variable is None) != (len(grid_edges) == 0):
        raise Error("--grid-variable and --grid-edges go together")
    if features is None:
        features = [c for c in columns if c not in (signal, weight, grid_variable)]
    if not features:
        raise Error("no feature columns left")
    d = _hepcat.cuts(
        [_host_column(columns, f) for f in features], list(features),
        _host_column(columns, signal),
        None if weight is None else _host_column(columns, weight),
        None if grid_variable is None else _host_column(columns, grid_variable),
        list(targets), list(directions or []), learn_directions, steepness,
        [alpha, beta, gamma, delta, epsilon, rho], weighted_standardisation, list(grid_edges),
        train_fraction, epochs, optimizer, lr, _context(context), progress,
    )
    return CutsResult(features=list(features), **{k: d[k] for k in d if k != "lr"})


# ---- fits -------------------------------------------------------------------------------------


@dataclass
class FitResult:
    """A batch of fits (the fields of ``hepcat fit --out``), fits in rows.

    ``parameters`` and ``errors``: (fits x parameters), named by ``parameter_names``; errors are
    sqrt(diag(2 H^-1)), 0 for fixed and NaN for singular ones. ``objective``: chi2 (or Poisson
    deviance) per fit; ``states``: per fit "converged", "max_iterations", "singular" or
    "stalled" (see ``converged``); ``ndf``: bins minus free parameters; ``expected``: (fits x
    bins) fitted bin expectations, computed when first read. ``covariance`` and ``correlation``:
    (fits x parameters x parameters), V = 2 errordef H^-1 from the exact Hessian; ``edm``,
    ``evaluations``, ``valid`` (converged, EDM small, H positive definite) per fit; ``at_limit``:
    (fits x parameters); ``minos``: (fits x len(minos_names) x 2) profile-likelihood intervals as
    offsets (lower, upper); ``significance``: per fit when asked, else None.
    """

    model: str
    estimator: str
    parameter_names: List[str]
    parameters: np.ndarray
    errors: np.ndarray
    objective: np.ndarray
    states: np.ndarray
    iterations: np.ndarray
    ndf: int
    device: str
    covariance: np.ndarray = field(repr=False, default=None)
    correlation: np.ndarray = field(repr=False, default=None)
    edm: np.ndarray = field(repr=False, default=None)
    evaluations: np.ndarray = field(repr=False, default=None)
    valid: np.ndarray = field(repr=False, default=None)
    at_limit: np.ndarray = field(repr=False, default=None)
    errordef: float = 1.0
    minos_names: List[str] = field(default_factory=list)
    minos: np.ndarray = field(repr=False, default=None)
    significance: Optional[np.ndarray] = field(repr=False, default=None)
    edges: np.ndarray = field(repr=False, default=None)
    evaluation: str = field(repr=False, default="integral")
    scale: float = field(repr=False, default=0.0)
    templates: Optional[np.ndarray] = field(repr=False, default=None)
    _expected: Optional[np.ndarray] = field(repr=False, default=None)

    @property
    def expected(self) -> np.ndarray:
        """(fits x bins): the model's expectation in every bin at the fitted parameters."""
        if self._expected is None:
            self._expected = _hepcat.bin_expectations(
                self.parameters, list(self.edges), self.model, self.evaluation, self.scale,
                self.templates,
            )
        return self._expected

    @property
    def converged(self) -> np.ndarray:
        """Per fit, True when its state is "converged"."""
        return self.states == "converged"

    def __getitem__(self, name: str) -> np.ndarray:
        """One parameter's fitted values over the batch, by name."""
        return self.parameters[:, self.parameter_names.index(name)]


def fit(
    histograms: ArrayLike,
    edges: ArrayLike,
    model: str = "poly2+gauss",
    estimator: str = "neyman",
    evaluation: str = "integral",
    initial: Optional[ArrayLike] = None,
    variances: Optional[ArrayLike] = None,
    lower: Sequence[float] = (),
    upper: Sequence[float] = (),
    fix: Sequence[str] = (),
    scale: float = 0.0,
    max_iterations: int = 100,
    tolerance: float = 1e-8,
    context: Optional[Context] = None,
    templates: Optional[ArrayLike] = None,
    template_variances: Optional[ArrayLike] = None,
    errordef: float = 1.0,
    starts: int = 1,
    minos: Sequence[str] = (),
    significance: bool = False,
    out: Optional[str] = None,
) -> FitResult:
    """Fits a batch of histograms with one model in one call (``hepcat fit``).

    ``histograms``: (fits x bins) or one histogram; ``edges``: bins + 1 values. ``model``: a
    background "poly<k>", "bernstein<k>", "exp", "powerlaw", "dijet" or "none", optionally
    "+gauss" or "+cb"; ``estimator``: "neyman", "pearson", "variance" (needs ``variances``) or
    "poisson"; ``evaluation``: "integral" or "centre". ``initial``: one parameter vector for all
    fits or one row per fit (default: the command line's start from the first histogram).
    ``fix`` holds parameters, by name, at their initial values; ``lower``/``upper`` bound them.

    ``templates``: (templates x bins) or one template, fixed histograms added to the model as
    components ``template0``, ``template1``, ... whose yields (events in the fit range) are free
    parameters after the model's; ``template_variances`` (same shape) their per-bin
    uncertainties (docs/fits.md: added to the chi2 variances, Barlow-Beeston-lite for
    "poisson"). ``errordef``: objective change of one standard deviation (chi2 scale);
    ``starts``: starting points per fit; ``minos``: parameters given profile-likelihood
    intervals; ``significance``: the signal's likelihood-ratio significance per fit. ``out``:
    also write the results, ".h5"/".hdf5" as one dataset per quantity with a row per fit, any
    other name as the JSON of ``hepcat fit --out``.
    """
    h = np.asarray(histograms)
    e = np.asarray(edges, dtype=float)
    t = None if templates is None else np.atleast_2d(np.asarray(templates, dtype=float))
    d = _hepcat.fit(
        h if h.ndim != 1 else h[None, :], list(e), model, estimator, evaluation, initial,
        variances, list(lower), list(upper), list(fix), scale, max_iterations, tolerance,
        t, None if template_variances is None else np.atleast_2d(template_variances),
        errordef, starts, list(minos), significance, out or "", _context(context),
    )
    codes, names = d.pop("state_codes"), d.pop("state_names")
    lookup = np.array([names.get(k, "") for k in range(max(names, default=0) + 1)])
    return FitResult(
        **d, states=lookup[codes], edges=e, evaluation=evaluation, scale=scale, templates=t
    )


# ---- Split-N-Fit ------------------------------------------------------------------------------


@dataclass
class SplitFitResult:
    """What :func:`splitfit` returns (the fields of ``hepcat splitfit --out``).

    ``model``: the logistic score (``weights``, ``centre``, ``spread``, ``bias``);
    ``loss_history``: the loss per step; ``significance`` (and ``significance_before`` when an
    initial model was given): ``median``, ``q16``, ``q84``, ``q025``, ``q975`` of the
    pseudo-experiments' significances, ``toys`` (all of them) and ``unconverged_fits``.
    """

    training: Optional[str]
    loss_history: Optional[np.ndarray]
    model: Optional[Dict[str, Any]]
    significance: Dict[str, Any]
    device: str
    significance_before: Optional[Dict[str, Any]] = None
    loss: Optional[float] = None


def _splitfit_settings(
    bins: int, lo: float, hi: float, background: str, signal_mean: float, signal_width: float,
    estimator: str, lam: float, kappa: float, delta: float, relu: str,
) -> Dict[str, Any]:
    return dict(
        bins=bins, lo=lo, hi=hi, background=background, signal_mean=signal_mean,
        signal_width=signal_width, estimator=estimator, lam=lam, kappa=kappa, delta=delta,
        relu=relu,
    )


def splitfit(
    data: Any,
    features: Optional[Sequence[str]] = None,
    mass: str = "mass",
    weight: Optional[str] = None,
    label: str = "label",
    supervised: bool = False,
    test: Any = None,
    init_model: Optional[Mapping[str, Any]] = None,
    score: Optional[str] = None,
    steps: int = 200,
    lr: float = 0.05,
    optimizer: str = "adam",
    bins: int = 40,
    lo: float = 90.0,
    hi: float = 160.0,
    background: str = "poly2",
    signal_mean: float = 125.0,
    signal_width: float = 1.7,
    estimator: str = "neyman",
    lam: float = 0.0,
    kappa: float = -1.0,
    delta: float = 0.0,
    relu: str = "softplus",
    toys: int = 1000,
    seed: int = 1,
    context: Optional[Context] = None,
) -> SplitFitResult:
    """Split-N-Fit (``hepcat splitfit``): trains a logistic score on ``features`` with the
    Split-N-Fit loss over the fit variable ``mass`` (or, with ``supervised``, by cross-entropy
    against ``label``), then reports the median significance of ``toys`` pseudo-experiments of
    the score > 0 selection on ``test`` (default: ``data``). ``init_model`` (a previous result's
    ``model``) starts from a trained score; ``score`` evaluates an existing score column instead
    of training. Fit settings (``bins``, ``lo``, ``hi``, ``background``, the signal shape,
    ``estimator``, the penalty ``lam``/``kappa``/``delta``/``relu``) and defaults are the command
    line's (``lam`` is ``--lambda``)."""
    settings = _splitfit_settings(
        bins, lo, hi, background, signal_mean, signal_width, estimator, lam, kappa, delta, relu
    )
    ctx = _context(context)
    train_cols = _columns(data)
    test_cols = train_cols if test is None else _columns(test)
    w = lambda cols: None if weight is None else _host_column(cols, weight)  # noqa: E731
    if score is not None:
        d = _hepcat.splitfit_score(
            _host_column(test_cols, mass), w(test_cols), _host_column(test_cols, score),
            settings, toys, seed, ctx,
        )
        return SplitFitResult(None, None, None, d["significance"], d["device"], loss=d["loss"])
    if not features:
        raise Error("give --features to train a score, or --score-column to evaluate one")
    d = _hepcat.splitfit(
        [_host_column(train_cols, f) for f in features], _host_column(train_cols, mass),
        w(train_cols), _host_column(train_cols, label) if supervised else None,
        [_host_column(test_cols, f) for f in features], _host_column(test_cols, mass),
        w(test_cols), list(features), None if init_model is None else dict(init_model),
        supervised, optimizer, lr, steps, settings, toys, seed, ctx,
    )
    return SplitFitResult(**d)


def splitfit_loss(
    mass: ArrayLike,
    scores: ArrayLike,
    weights: Optional[ArrayLike] = None,
    gradient: bool = True,
    bins: int = 40,
    lo: float = 90.0,
    hi: float = 160.0,
    background: str = "poly2",
    signal_mean: float = 125.0,
    signal_width: float = 1.7,
    estimator: str = "neyman",
    lam: float = 0.0,
    kappa: float = -1.0,
    delta: float = 0.0,
    relu: str = "softplus",
    context: Optional[Context] = None,
) -> Dict[str, Any]:
    """The Split-N-Fit loss of per-event ``scores`` s_i (pass probability sigmoid(s_i)) and,
    with ``gradient``, dL/ds_i: the fit inside another framework's training loop. Columns are
    used in place where they can be (float32; CuPy/PyTorch CUDA arrays on a CUDA context).
    Returns ``loss``, ``loss_pass``, ``loss_fail``, ``mean_fail``, the four fits' ``objective``
    and ``states``, the pass/fail histograms, the S+B pass parameters and ``gradient`` (NumPy)."""
    settings = _splitfit_settings(
        bins, lo, hi, background, signal_mean, signal_width, estimator, lam, kappa, delta, relu
    )
    return _hepcat.splitfit_loss(mass, weights, scores, settings, gradient, _context(context))


# ---- jet assignment ---------------------------------------------------------------------------
# Jets are a dict of [events][jets] arrays: pt, eta, phi, e (GeV) and mask (bool; optional, else
# pt > 0); with truth, ``truth`` [events][parents][daughters] (jet slot, -1 none) and the
# ``parents`` and ``daughters`` names. read_jets and assign_toy return such dicts.


def read_jets(path: str, min_jets: int = 6, pt_unit: str = "") -> Dict[str, Any]:
    """Jet events of an HDF5 file in SPANet's or the ABC code's layout, validated as the CLI
    reads them (``pt_unit``: the ABC layout's unit of pt, MeV or GeV; empty: the file's)."""
    return _hepcat.read_jets(str(path), min_jets, pt_unit)


def assign_toy(events: int = 100_000, seed: int = 1, background: bool = False,
               **settings: Any) -> Dict[str, Any]:
    """The events ``hepcat assign toy`` writes: two resonances of mass ``mass`` each decaying to
    three jets (with truth), or with ``background`` the multijet background. ``settings`` are
    the CLI's options with underscores (mass, pair_momentum, pair_rapidity, isr_mean,
    spectrum_index, stochastic, constant, pt_min, eta_max, background_extra_jets, max_jets,
    min_jets, first_event). Same seed, same numbers as the CLI."""
    c = _hepcat.JetToyConfig()
    c.events, c.seed, c.background = events, seed, background
    for name, value in settings.items():
        if not hasattr(c, name):
            raise Error(f"assign_toy: unknown setting '{name}'")
        setattr(c, name, value)
    return _hepcat.assign_toy(c)


def assign_baseline(jets: Mapping[str, Any], leading: int = 6,
                    context: Optional[Context] = None) -> Dict[str, np.ndarray]:
    """The mass-asymmetry baseline (``hepcat assign baseline``): per event the split of the
    leading ``leading`` jets (0: all, at most 16) into two triplets of most similar masses.
    Returns triplets [N][2][3], m1, m2, m_avg, asymmetry and the per-jet category [N][J]."""
    return _hepcat.assign_baseline(_context(context), dict(jets), leading)


def assign_train(jets: Mapping[str, Any], out: str, categories: int = 2, embed_dim: int = 32,
                 heads: int = 4, blocks: int = 4, loss: str = "published", epochs: int = 20,
                 batch_size: int = 2048, lr: float = 1e-3, validation: float = 0.25,
                 patience: int = 3, seed: int = 1, dropout: bool = True, best_model: str = "",
                 init: str = "", context: Optional[Context] = None) -> Dict[str, Any]:
    """Trains the ABC model unsupervised (``hepcat assign train``) and writes it to ``out``
    (HDF5). ``init`` starts from a model file instead of a fresh model; ``best_model``, when
    given, also receives the best model so far whenever it improves. Returns the training
    summary (losses per epoch, best epoch). Same inputs and seed, same model file as the CLI."""
    return _hepcat.assign_train(_context(context), dict(jets), str(out),
                                [categories, embed_dim, heads, blocks], loss, epochs, batch_size,
                                lr, validation, patience, seed, dropout, str(best_model), str(init))


def assign_eval(model: str, jets: Mapping[str, Any], batch_size: int = 2048) -> Dict[str, np.ndarray]:
    """Per-event results of a trained model (``hepcat assign eval``): category [N][J] (-1
    padding), probability [N][J][T], logit_gap, candidates_p4 [N][T][4], mass [N][T], m_avg and
    the loss (anomaly score)."""
    return _hepcat.assign_eval(str(model), dict(jets), batch_size)
