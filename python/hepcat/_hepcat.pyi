# Type stubs of the compiled module. Use the hepcat package: it wraps these with keyword
# arguments, defaults, docstrings and result objects.
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

Progress = Optional[Callable[[int, int], Any]]

class Error(ValueError): ...

class Context:
    def __init__(self, device: str = "auto", verbose: bool = False) -> None: ...
    @property
    def backend(self) -> str: ...
    @property
    def is_cuda(self) -> bool: ...
    @property
    def device_index(self) -> int: ...
    @property
    def device_name(self) -> str: ...
    def synchronize(self) -> None: ...

def build_info() -> Dict[str, Any]: ...
def gato_toy(scenario: int, events: int, seed: int, lumi: float) -> Dict[str, np.ndarray]: ...
def splitfit_toy(
    background_events: int, signal_events: int, mismodelled: bool, seed: int
) -> Dict[str, np.ndarray]: ...

class Events:
    def __init__(
        self,
        context: Context,
        names: List[str],
        features: Sequence[Any],
        weights: Any,
        process: Any,
        n_processes: int,
        allow_copy: bool,
        weight_label: str,
        process_label: str,
    ) -> None: ...
    @property
    def size(self) -> int: ...
    @property
    def feature_names(self) -> List[str]: ...
    @property
    def n_processes(self) -> int: ...
    @property
    def process_weight_sums(self) -> List[float]: ...
    @property
    def process_counts(self) -> List[int]: ...
    @property
    def borrowed(self) -> Dict[str, bool]: ...
    def data_pointers(self) -> Dict[str, int]: ...

class Trainer:
    def __init__(
        self,
        events: Events,
        features: List[int],
        model: str,
        bins: int,
        means: str,
        lo: List[float],
        hi: List[float],
        sigma_base: float,
        signals: List[int],
        combination: str,
        b_min: float,
        lambda_low: float,
        max_rel_unc: float,
        lambda_unc: float,
        epochs: int,
        optimizer: str,
        lr: str,
        temperature: str,
        steepness: str,
        patience: int,
        seed: int,
    ) -> None: ...
    def step(self) -> Dict[str, Any]: ...
    def run(self, progress: Progress, epochs: int) -> None: ...
    @property
    def done(self) -> bool: ...
    @property
    def history(self) -> Dict[str, np.ndarray]: ...
    @property
    def parameters(self) -> np.ndarray: ...
    @property
    def gradient(self) -> np.ndarray: ...
    def describe(self) -> Dict[str, Any]: ...
    def evaluate(self, events: Optional[Events]) -> Dict[str, Any]: ...
    def _time_steps(self, steps: int) -> List[float]: ...

def bin(
    columns: Dict[str, Any],
    features: List[str],
    weight: str,
    process: str,
    signals: List[int],
    model: str,
    bins: int,
    means: str,
    sigma_base: float,
    epochs: int,
    optimizer: str,
    lr: str,
    temperature: str,
    steepness: str,
    combination: str,
    b_min: float,
    lambda_low: float,
    max_rel_unc: float,
    lambda_unc: float,
    test_fraction: float,
    patience: int,
    seed: int,
    context: Context,
    progress: Progress,
) -> Dict[str, Any]: ...
def merge(
    counts: Any,
    edges: List[List[float]],
    targets: List[int],
    metric: str,
    pair_weights: Any,
    comp_to_first: bool,
    merger: str,
    axis: int,
    context: Context,
    progress: Progress,
) -> Tuple[List[Dict[str, Any]], float]: ...
def roc_curve(
    counts: Any, signal: int, background: int
) -> Tuple[np.ndarray, np.ndarray, float]: ...
def loc_length(counts: Any, normalisation: Any) -> float: ...
def place_events(
    events: Events, map: List[int], edges: List[List[float]], features: List[int]
) -> np.ndarray: ...
def fill_histogram(events: Events, features: List[int], edges: List[List[float]]) -> np.ndarray: ...
def fit(
    histograms: Any,
    edges: List[float],
    model: str,
    estimator: str,
    evaluation: str,
    initial: Any,
    variances: Any,
    lower: List[float],
    upper: List[float],
    fix: List[str],
    scale: float,
    max_iterations: int,
    tolerance: float,
    templates: Any,
    template_variances: Any,
    errordef: float,
    starts: int,
    minos: List[str],
    significance: bool,
    out: str,
    context: Context,
) -> Dict[str, Any]: ...
def bin_expectations(
    parameters: Any,
    edges: List[float],
    model: str,
    evaluation: str,
    scale: float,
    templates: Any,
) -> np.ndarray: ...
def _time_fit(
    histograms: Any,
    edges: List[float],
    model: str,
    initial: Any,
    fix: List[str],
    repeats: int,
    context: Context,
) -> List[float]: ...
def cuts(
    features: Sequence[Any],
    names: List[str],
    signal: Any,
    weights: Any,
    grid_values: Any,
    targets: List[float],
    directions: List[int],
    learn_directions: bool,
    steepness: float,
    loss: List[float],
    weighted_standardisation: bool,
    grid_edges: List[float],
    train_fraction: float,
    epochs: int,
    optimizer: str,
    lr: str,
    context: Context,
    progress: Progress,
) -> Dict[str, Any]: ...
def splitfit(
    train_features: Sequence[Any],
    train_mass: Any,
    train_weights: Any,
    labels: Any,
    test_features: Sequence[Any],
    test_mass: Any,
    test_weights: Any,
    names: List[str],
    init_model: Optional[Dict[str, Any]],
    supervised: bool,
    optimizer: str,
    learning_rate: float,
    steps: int,
    settings: Dict[str, Any],
    toys: int,
    seed: int,
    context: Context,
) -> Dict[str, Any]: ...
def splitfit_score(
    mass: Any, weights: Any, scores: Any, settings: Dict[str, Any], toys: int, seed: int,
    context: Context,
) -> Dict[str, Any]: ...
def splitfit_loss(
    mass: Any, weights: Any, scores: Any, settings: Dict[str, Any], gradient: bool,
    context: Context,
) -> Dict[str, Any]: ...

# ---- jet assignment ----

class JetToyConfig:
    events: int
    first_event: int
    seed: int
    background: bool
    mass: float
    pair_momentum: float
    pair_rapidity: float
    isr_mean: float
    spectrum_index: float
    stochastic: float
    constant: float
    pt_min: float
    eta_max: float
    background_extra_jets: float
    max_jets: int
    min_jets: int
    def __init__(self) -> None: ...

def read_jets(path: str, min_jets: int, pt_unit: str) -> Dict[str, Any]: ...
def assign_toy(config: JetToyConfig) -> Dict[str, Any]: ...
def assign_baseline(context: Context, jets: Dict[str, Any], leading: int) -> Dict[str, np.ndarray]: ...
def assign_train(
    context: Context,
    jets: Dict[str, Any],
    out: str,
    architecture: List[int],
    loss: str,
    epochs: int,
    batch_size: int,
    lr: float,
    validation: float,
    patience: int,
    seed: int,
    dropout: bool,
    best_model: str,
    init: str,
) -> Dict[str, Any]: ...
def assign_eval(model: str, jets: Dict[str, Any], batch_size: int) -> Dict[str, np.ndarray]: ...
