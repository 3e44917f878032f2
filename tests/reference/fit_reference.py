#!/usr/bin/python3
"""Reference fits for tests/test_fit.cpp, computed with iminuit (MIGRAD + HESSE + MINOS).

HESSE's second derivatives are numerical, good to a few 1e-3 (and for bounded parameters its
errors map the internal error through the sine transform); each valid fit also carries
covariance_fd, 2 H^-1 from central differences of the objective at MINUIT's minimum.

Run with Debian's /usr/bin/python3 (python3-iminuit):

    /usr/bin/python3 tests/reference/fit_reference.py > tests/reference/fit_iminuit.json

Histograms: 40 bins in [90, 160], a Gaussian at 125 on a quadratic background, Poisson
fluctuated, at high statistics (hundreds of events per bin) and low statistics (5 to 12). Every
hepcat estimator is written here independently (Neyman with variance max(h, 1), Pearson, given
variances, Poisson deviance), all on the chi2 scale, so errordef is 1 throughout. The model is
hepcat's: density p0 + p1 t + p2 t^2 + yield N(x; mean, width), t = (x - 90) / 70, integrated
over each bin by Simpson's rule. Three setups: mean and width fixed (4 free), all 6 free without
bounds, all 6 free with mean in [115, 135] and width in [0.5, 10]. The seed below is used for
nothing else.

With the argument "templates" it writes tests/reference/fit_templates_iminuit.json instead: fits
with template components (histograms from a weighted "simulation", with their per-bin variances
or without), a template pair alone ("template+template") and a template background beside the
analytic Gaussian ("gauss+template"), every estimator, high and low statistics, from its own seed:

    /usr/bin/python3 tests/reference/fit_reference.py templates > tests/reference/fit_templates_iminuit.json

There a template t enters bin j as yield_t T_tj / sum_j T_tj; with variances sigma_tj^2 the
chi2s take (h - mu)^2 / (V + s_j), s_j = sum_t yield_t^2 sigma_tj^2 / (sum_j T_tj)^2, and the
Poisson deviance is Barlow-Beeston-lite: each bin's expectation scaled by gamma_j with a
Gaussian constraint (gamma_j - 1)^2 mu_j^2 / s_j, gamma_j profiled here by Newton's method.
"""
import json
import sys

import numpy as np
from iminuit import Minuit

SEED = 731205
N_BINS, LO, HI = 40, 90.0, 160.0
EDGES = np.linspace(LO, HI, N_BINS + 1)
NAMES = ["b0", "b1", "b2", "yield", "mean", "width"]
FITS_PER_CASE = 4
STATS = {
    # background density coefficients (events per unit x) and signal yield
    "high": [np.array([400.0, -250.0, 90.0]), 300.0],
    "low": [np.array([6.0, -3.0, 1.0]), 40.0],
}
SETUPS = {
    "fixed_peak": {"fixed": [False, False, False, False, True, True], "limits": None},
    "free": {"fixed": [False] * 6, "limits": None},
    "bounded": {"fixed": [False] * 6, "limits": {"mean": (115.0, 135.0), "width": (0.5, 10.0)}},
}
ESTIMATORS = ["neyman", "pearson", "variance", "poisson"]


def density(p, x):
    t = (x - LO) / (HI - LO)
    u = (x - p[4]) / p[5]
    return p[0] + p[1] * t + p[2] * t * t + p[3] / (np.sqrt(2 * np.pi) * p[5]) * np.exp(-0.5 * u * u)


def expectation(p):
    a, b = EDGES[:-1], EDGES[1:]
    return (b - a) / 6 * (density(p, a) + 4 * density(p, 0.5 * (a + b)) + density(p, b))


def objective(estimator, h, var):
    def neyman(*p):
        mu = expectation(p)
        return float(np.sum((h - mu) ** 2 / np.maximum(h, 1)))

    def pearson(*p):
        mu = expectation(p)
        if np.any(mu <= 0):
            return 1e30
        return float(np.sum((h - mu) ** 2 / mu))

    def variance(*p):
        mu = expectation(p)
        return float(np.sum((h - mu) ** 2 / var))

    def poisson(*p):
        mu = expectation(p)
        if np.any(mu <= 0):
            return 1e30
        hl = np.where(h > 0, h, 1)
        return float(2 * np.sum(mu - h + np.where(h > 0, h * np.log(hl / mu), 0)))

    return {"neyman": neyman, "pearson": pearson, "variance": variance, "poisson": poisson}[estimator]


def fd_covariance(f, p, errors, fixed):
    """2 H^-1 from the Hessian of f by central differences (steps 1e-3 of each parameter's
    error) at p, in the external parameters: what HESSE estimates, to about 1e-6 relative."""
    free = [i for i in range(len(p)) if not fixed[i]]
    p = np.array(p, dtype=float)
    H = np.zeros((len(free), len(free)))
    steps = [1e-3 * errors[i] for i in free]
    for a, i in enumerate(free):
        for b, j in enumerate(free):
            def at(di, dj):
                q = p.copy()
                q[i] += di
                q[j] += dj
                return f(*q)
            si, sj = steps[a], steps[b]
            H[a, b] = (at(si, sj) - at(si, -sj) - at(-si, sj) + at(-si, -sj)) / (4 * si * sj)
    V = np.zeros((len(p), len(p)))
    V[np.ix_(free, free)] = 2 * np.linalg.inv(H)
    return V.tolist()


def finite(v):
    """JSON has no NaN: non-finite numbers (in fits MINUIT marks invalid) become null."""
    if isinstance(v, (list, tuple)):
        return [finite(x) for x in v]
    return float(v) if np.isfinite(v) else None


TEMPLATE_SEED = 190473
WEIGHT = {"high": 0.5, "low": 0.25}  # simulation event weight: its statistics are 1/weight x data's
TEMPLATE_SETUPS = {
    "templates": ["template0", "template1"],
    "gauss_template": ["yield", "mean", "width", "template0"],
}


def background_density(x, scale):
    return scale * np.exp(-2.0 * (x - LO) / (HI - LO))


def bin_integrals(f):
    a, b = EDGES[:-1], EDGES[1:]
    return (b - a) / 6 * (f(a) + 4 * f(0.5 * (a + b)) + f(b))


def gaussian(x, n, mean, width):
    return n / (np.sqrt(2 * np.pi) * width) * np.exp(-0.5 * ((x - mean) / width) ** 2)


def profiled_poisson(h, mu, s):
    """Per-bin -2 ln L of Poisson(h; gamma mu) + (gamma - 1)^2 mu^2 / s, minimised over gamma >= 0
    by safeguarded Newton steps (the function is convex in gamma), as the saturated deviance."""
    g = np.ones_like(mu)
    for _ in range(60):
        d1 = 2 * mu - 2 * h / g + 2 * (g - 1) * mu**2 / s
        d2 = 2 * h / g**2 + 2 * mu**2 / s
        g = np.maximum(g - d1 / d2, g / 10)
    gm = g * mu
    hl = np.where(h > 0, h, 1)
    return 2 * (gm - h + np.where(h > 0, h * np.log(hl / gm), 0)) + (g - 1) ** 2 * mu**2 / s


def template_objective(estimator, setup, h, var, fractions, tvar):
    def fcn(*p):
        p = np.asarray(p)
        nt = len(fractions)
        y = p[len(p) - nt:]
        mu = y @ fractions
        if setup == "gauss_template":
            mu = mu + bin_integrals(lambda x: gaussian(x, *p[:3]))
        s = (y**2) @ tvar if tvar is not None else np.zeros_like(mu)
        if estimator == "neyman":
            return float(np.sum((h - mu) ** 2 / (np.maximum(h, 1) + s)))
        if estimator == "variance":
            return float(np.sum((h - mu) ** 2 / (var + s)))
        if np.any(mu <= 0):
            return 1e30
        if estimator == "pearson":
            return float(np.sum((h - mu) ** 2 / (mu + s)))
        hl = np.where(h > 0, h, 1)
        plain = 2 * (mu - h + np.where(h > 0, h * np.log(hl / mu), 0))
        if tvar is None:
            return float(np.sum(plain))
        # Bins without template uncertainty (empty simulation bins) keep the plain deviance.
        profiled = profiled_poisson(h, mu, np.where(s > 0, s, 1.0))
        return float(np.sum(np.where(s > 0, profiled, plain)))

    return fcn


def template_main():
    rng = np.random.default_rng(TEMPLATE_SEED)
    cases = []
    for stats, (bkg, yield_) in STATS.items():
        width = 1.7 if stats == "high" else 3.0
        b_mu = bin_integrals(lambda x: background_density(x, bkg[0]))
        s_mu = bin_integrals(lambda x: gaussian(x, yield_, 125.0, width))
        w = WEIGHT[stats]
        for setup, names in TEMPLATE_SETUPS.items():
            for with_variances in (False, True):
                for estimator in ESTIMATORS:
                    for _ in range(2):
                        # The simulation: weighted events, contents w n and variances w^2 n.
                        sims = [b_mu] if setup == "gauss_template" else [s_mu, b_mu]
                        counts = [rng.poisson(m / w).astype(float) for m in sims]
                        templates = np.array([w * c for c in counts])
                        tvariances = np.array([w * w * c for c in counts])
                        h = rng.poisson(b_mu + s_mu).astype(float)
                        var = h + 1.0
                        sums = templates.sum(axis=1)
                        fractions = templates / sums[:, None]
                        tvar = tvariances / sums[:, None] ** 2 if with_variances else None
                        truth = ([yield_, 125.0, width] if setup == "gauss_template"
                                 else [yield_]) + [b_mu.sum()]
                        start = np.array(truth) * (0.9 + 0.2 * rng.random(len(truth)))
                        if setup == "gauss_template":
                            start[1] = 124.0
                        fcn = template_objective(estimator, setup, h, var, fractions, tvar)
                        m = Minuit(fcn, *start, name=names)
                        m.errordef = 1
                        m.strategy = 2
                        m.tol = 1e-6
                        m.migrad(ncall=100000)
                        m.hesse()
                        fixed = [False] * len(names)
                        cases.append({
                            "stats": stats,
                            "setup": setup,
                            "model": "gauss+template" if setup == "gauss_template"
                            else "template+template",
                            "estimator": estimator,
                            "histogram": h.tolist(),
                            "templates": templates.tolist(),
                            "template_variances": tvariances.tolist() if with_variances else None,
                            "start": start.tolist(),
                            "valid": bool(m.valid),
                            "minimum": finite(m.fval),
                            "parameters": finite(list(m.values)),
                            "errors": finite(list(m.errors)),
                            "covariance": finite(np.array(m.covariance).tolist()),
                            "covariance_fd": finite(fd_covariance(fcn, list(m.values),
                                                                    list(m.errors), fixed))
                            if m.valid else None,
                        })
    json.dump({"generator": "iminuit " + __import__("iminuit").__version__,
               "seed": TEMPLATE_SEED, "edges": EDGES.tolist(), "cases": cases},
              sys.stdout, indent=None, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")


def main():
    if sys.argv[1:] == ["templates"]:
        return template_main()
    rng = np.random.default_rng(SEED)
    cases = []
    for stats, (bkg, yield_) in STATS.items():
        truth = np.array([*bkg, yield_, 125.0, 1.7 if stats == "high" else 3.0])
        mu = expectation(truth)
        for setup, spec in SETUPS.items():
            for estimator in ESTIMATORS:
                for _ in range(FITS_PER_CASE):
                    h = rng.poisson(mu).astype(float)
                    var = h + 1.0
                    start = truth * np.array([1.1, 0.9, 1.1, 0.8, 1.0, 1.0])
                    start[4] = 124.0 if not spec["fixed"][4] else truth[4]
                    start[5] = truth[5] * (1.2 if not spec["fixed"][5] else 1.0)
                    fcn = objective(estimator, h, var)
                    m = Minuit(fcn, *start, name=NAMES)
                    m.errordef = 1
                    m.strategy = 2
                    m.tol = 1e-6
                    for k, name in enumerate(NAMES):
                        m.fixed[name] = spec["fixed"][k]
                    if spec["limits"]:
                        for name, lim in spec["limits"].items():
                            m.limits[name] = lim
                    m.migrad(ncall=100000)
                    m.hesse()
                    case = {
                        "stats": stats,
                        "setup": setup,
                        "estimator": estimator,
                        "histogram": h.tolist(),
                        "start": start.tolist(),
                        "fixed": spec["fixed"],
                        "lower": [spec["limits"][n][0] if spec["limits"] and n in spec["limits"]
                                  else None for n in NAMES],
                        "upper": [spec["limits"][n][1] if spec["limits"] and n in spec["limits"]
                                  else None for n in NAMES],
                        "valid": bool(m.valid),
                        "minimum": finite(m.fval),
                        "edm": finite(m.fmin.edm),
                        "parameters": finite(list(m.values)),
                        "errors": finite(list(m.errors)),
                        "covariance": finite(np.array(m.covariance).tolist()),
                        "covariance_fd": finite(fd_covariance(fcn, list(m.values), list(m.errors),
                                                                spec["fixed"]))
                        if m.valid else None,
                        "at_limit": bool(m.fmin.has_parameters_at_limit),
                    }
                    if m.valid and not spec["fixed"][3]:
                        m.minos("yield")
                        me = m.merrors["yield"]
                        case["minos_yield"] = finite([me.lower, me.upper]) if me.is_valid else None
                    cases.append(case)
    json.dump({"generator": "iminuit " + __import__("iminuit").__version__, "seed": SEED,
               "edges": EDGES.tolist(), "parameter_names": NAMES, "cases": cases},
              sys.stdout, indent=None, separators=(",", ":"), allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
