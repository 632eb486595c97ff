"""Property tests over the whole public API (hypothesis).

Every call on any input either returns a valid result or raises a clear ValueError/TypeError:
never a crash, another exception type, or a NaN/inf result. A valid result has finite
centers in scikit-learn's dtype (float32 stays float32, everything else becomes float64),
labels in [0, k) that are the nearest centers, an inertia that NumPy recomputes (in float64,
from the returned labels, centers and weights), and leaves every input untouched.
scikit-learn is a second oracle where both must agree exactly (same seeds, exact data).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, event, example, given, note, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import quickmeans

sklearn_cluster = pytest.importorskip("sklearn.cluster")

DTYPES = ["<f8", "<f4", ">f8", ">f4", "int32", "int64", "bool", "uint8"]
LAYOUTS = ["C", "F", "row-strided", "col-strided", "reversed"]
ALGORITHMS = ["lloyd", "elkan", "hamerly", "auto"]
PATTERNS = ["grid", "uniform", "identical", "duplicates"]
# Warnings a valid call may give; any other one (a NumPy overflow, say) is a failure.
EXPECTED_WARNINGS = ("Number of distinct clusters", "doesn't make sense for a single cluster")

# Absolute floors of the comparisons, for values too small to have full relative precision.
# Below the smallest normal number (2.2e-308 in float64, 1.2e-38 in float32) a value is
# subnormal and carries fewer significant bits, so two correct computations of the same tiny
# squared distance may differ by a few units of 2**-1074 (float64); the floors are many orders
# of magnitude above those differences and far below any value a test draws on purpose
# (the smallest inertia such data can have, (1e-30)**2 = 1e-60, is still far above them).
ABS_FLOOR_F64 = 1e-300
ABS_FLOOR_F32 = 1e-37  # transform's float32 output: a few float32 subnormal steps (1.4e-45)
RTOL = 1e-6


def magnitudes(dtype: np.dtype) -> list[float]:
    """Scales for the drawn values: ordinary, huge, tiny and subnormal for floats (huge
    enough in float64 that squared distances overflow even in double precision); for
    integers the largest scale that keeps |values| <= 3 * scale inside the dtype."""
    if dtype.kind == "f" and dtype.itemsize == 4:
        return [1.0, 1e30, 1e38, 1e-30, 1e-40]
    if dtype.kind == "f":
        return [1.0, 1e30, 1e200, 1e-30, 1e-310]
    if dtype.kind == "b":
        return [1.0]
    if dtype.kind == "u":
        return [1.0, 80.0]
    return [1.0, 1e8] if dtype.itemsize == 4 else [1.0, 1e17]


@dataclass
class Data:
    X: np.ndarray  # as handed to the API (any dtype, byte order, layout, writeable flag)
    values: np.ndarray  # the same values as float64, C-contiguous (the oracle's copy)
    center_dtype: np.dtype  # what scikit-learn would return: float32 for float32 input

    def __repr__(self) -> str:
        X = self.X
        return (f"Data(dtype={X.dtype.str}, shape={X.shape}, strides={X.strides}, "
                f"writeable={X.flags.writeable}, X={X.tolist()!r})")


def lay_out(values: np.ndarray, dtype: np.dtype, layout: str) -> np.ndarray:
    """`values` cast to dtype, in the given memory layout (views of bigger arrays for the
    strided ones, their other entries filled with junk the library must not read)."""
    n, d = values.shape
    native = values.astype(dtype)
    if layout == "C":
        return np.ascontiguousarray(native)
    if layout == "F":
        return np.asfortranarray(native)
    junk = np.ones((), dtype=dtype) * (0 if dtype.kind == "b" else 7)
    if layout == "row-strided":
        big = np.full((2 * n, d), junk, dtype=dtype)
        big[::2] = native
        return big[::2]
    if layout == "col-strided":
        big = np.full((n, 2 * d), junk, dtype=dtype)
        big[:, 1::2] = native
        return big[:, 1::2]
    return np.ascontiguousarray(native[::-1, ::-1])[::-1, ::-1]  # negative strides


@st.composite
def data(draw: Any, max_n: int = 10, max_d: int = 4, min_n: int = 1) -> Data:
    dtype = np.dtype(draw(st.sampled_from(DTYPES)))
    n = draw(st.integers(min_n, max_n))
    d = draw(st.integers(1, max_d))
    pattern = draw(st.sampled_from(PATTERNS))
    if pattern == "uniform" and dtype.kind == "f":
        base = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-3, 3, width=32)))
    else:
        base = draw(hnp.arrays(np.float64, (n, d), elements=st.integers(-3, 3).map(float)))
    if pattern == "identical":
        base[:] = base[0]
    elif pattern == "duplicates":
        rows = draw(st.lists(st.integers(0, max(0, min(n, 3) - 1)), min_size=n, max_size=n))
        base = base[rows]
    if dtype.kind == "b":
        base = base % 2
    elif dtype.kind == "u":
        base = np.abs(base)
    scale = draw(st.sampled_from(magnitudes(dtype)))
    values = base * scale
    X = lay_out(values, dtype, draw(st.sampled_from(LAYOUTS)))
    X.flags.writeable = draw(st.booleans())
    exact = np.asarray(X, dtype=np.float64)  # what the library sees (after rounding to dtype)
    center_dtype = np.dtype(np.float32 if dtype.kind == "f" and dtype.itemsize == 4
                            else np.float64)
    return Data(X, np.ascontiguousarray(exact), center_dtype)


@st.composite
def weights_for(draw: Any, n: int) -> np.ndarray | None:
    """None, or non-negative weights (zeros included, not all zero) as floats or ints."""
    kind = draw(st.sampled_from(["none", "mixed", "sparse"]))
    if kind == "none":
        return None
    # "sparse": mostly zeros, so that subsamples (MiniBatchKMeans' init) may hold no weight.
    values = [0.0, 0.5, 1.0, 2.0, 3.0] if kind == "mixed" else [0.0, 0.0, 0.0, 0.0, 1.0]
    w = np.array(draw(st.lists(st.sampled_from(values), min_size=n, max_size=n)))
    assume(w.sum() > 0)
    if draw(st.booleans()):
        return w
    return np.ceil(w).astype(np.int64)


# --- oracle ---------------------------------------------------------------------------------


def squared_distances(values: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """n x k squared Euclidean distances in float64, directly (no expansion)."""
    with np.errstate(over="ignore"):
        diff = values[:, None, :] - np.asarray(centers, dtype=np.float64)[None, :, :]
        return np.sum(diff * diff, axis=2)


def recomputed_inertia(values: np.ndarray, centers: np.ndarray, labels: np.ndarray,
                       weights: np.ndarray | None) -> float:
    dist = squared_distances(values, centers)[np.arange(len(values)), labels]
    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype=np.float64)
    return float(np.sum(w * dist))


def too_large(values: np.ndarray) -> bool:
    """True when |values| pass the documented limit, d (2 max|x|)**2 <= float64 max, beyond
    which squared distances may overflow even in float64 (they must then be reported)."""
    d = values.shape[1]
    return bool(np.abs(values).max() > np.sqrt(np.finfo(np.float64).max / d) / 2)


def assert_close(actual: float, expected: float, floor: float = ABS_FLOOR_F64) -> None:
    assert np.isfinite(actual), actual
    assert abs(actual - expected) <= RTOL * abs(expected) + floor, (actual, expected)


def assert_nearest(values: np.ndarray, centers: np.ndarray, labels: np.ndarray) -> None:
    """Each label is a nearest center: no other is nearer beyond rounding."""
    dist = squared_distances(values, centers)
    own = dist[np.arange(len(values)), labels]
    best = dist.min(axis=1)
    bad = own > best * (1 + 1e-12) + ABS_FLOOR_F64
    assert not bad.any(), (np.flatnonzero(bad), own[bad], best[bad])


def assert_same_nearest(values: np.ndarray, centers: np.ndarray, labels: np.ndarray,
                        other: np.ndarray) -> None:
    """Two labelings that may differ only on ties (equally near centers)."""
    assert_valid_labels(other, len(values), len(centers))
    dist = squared_distances(values, centers)
    rows = np.arange(len(values))
    a, b = dist[rows, labels], dist[rows, other]
    differ = labels != other
    tie = np.abs(a - b) <= 1e-12 * np.maximum(a, b) + ABS_FLOOR_F64
    assert not (differ & ~tie).any(), (labels, other, a, b)


def assert_valid_labels(labels: np.ndarray, n: int, k: int) -> None:
    assert isinstance(labels, np.ndarray) and labels.shape == (n,), labels
    assert labels.dtype.kind == "i", labels.dtype
    assert labels.min() >= 0 and labels.max() < k, labels


def assert_valid_fit(case: Data, weights: np.ndarray | None, k: int, centers: np.ndarray,
                     labels: np.ndarray, inertia: float) -> None:
    n, d = case.values.shape
    assert isinstance(centers, np.ndarray) and centers.shape == (k, d), centers
    assert centers.dtype == case.center_dtype, (centers.dtype, case.center_dtype)
    assert np.isfinite(centers).all(), centers
    assert_valid_labels(labels, n, k)
    assert isinstance(inertia, float) and np.isfinite(inertia) and inertia >= 0, inertia
    expected = recomputed_inertia(case.values, centers, labels, weights)
    note(f"inertia {inertia!r}, recomputed {expected!r}")
    assert_close(inertia, expected)
    assert_nearest(case.values, centers, labels)


# --- calling the API ------------------------------------------------------------------------


def snapshot(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return (obj.copy(), obj.dtype, obj.shape, obj.strides, obj.flags.writeable,
                obj.flags.c_contiguous, obj.flags.f_contiguous)
    return obj


def assert_unchanged(before: Any, after: Any) -> None:
    if not isinstance(after, np.ndarray):
        return
    copy, *meta = before
    assert meta == [after.dtype, after.shape, after.strides, after.flags.writeable,
                    after.flags.c_contiguous, after.flags.f_contiguous]
    assert np.array_equal(copy, after, equal_nan=True)
    assert copy.dtype == after.dtype


def call(fn: Callable[[], Any], inputs: list[Any]) -> tuple[Any, Exception | None]:
    """fn's result or its ValueError/TypeError; checks inputs are unchanged and only the
    expected warnings were given. Any other exception propagates (a failure)."""
    before = [snapshot(a) for a in inputs]
    result, error = None, None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn()
        except (ValueError, TypeError) as e:
            error = e
    for w in caught:
        assert any(m in str(w.message) for m in EXPECTED_WARNINGS), w
    for b, a in zip(before, inputs):
        assert_unchanged(b, a)
    if error is not None:
        note(f"raised {type(error).__name__}: {error}")
        assert str(error).strip(), "an error needs a message"
    return result, error


def expected_errors(case: Data, k: int, weights: np.ndarray | None, init: Any) -> list[str]:
    """Why a call may legitimately raise; an empty list means it must succeed."""
    reasons = []
    if too_large(case.values):
        reasons.append("values too large")
    if isinstance(init, str) and init == "random" and weights is not None \
            and np.count_nonzero(weights) < k:
        reasons.append("too few positive weights for init='random'")
    return reasons


def transform_errors(case: Data, centers: np.ndarray) -> list[str]:
    """transform returns distances in X's dtype: float32 ones may overflow (to be reported)."""
    largest = np.sqrt(squared_distances(case.values, centers).max())
    if largest > np.finfo(case.center_dtype).max:
        return ["distances overflow float32"]
    return []


def check_outcome(error: Exception | None, reasons: list[str]) -> bool:
    """True when there is a result to check."""
    if error is None:
        event("result")
        return True
    assert reasons, f"unexpected {type(error).__name__}: {error}"
    event(f"error: {reasons[0]}")
    return False


@st.composite
def init_for(draw: Any, case: Data, k: int) -> Any:
    kind = draw(st.sampled_from(["k-means++", "random", "array"]))
    if kind != "array":
        return kind
    rows = draw(st.lists(st.integers(0, len(case.values) - 1), min_size=k, max_size=k))
    centers = case.values[rows]  # float64 (a float32 X casts them back exactly)
    return np.asfortranarray(centers) if draw(st.booleans()) else centers


@st.composite
def fit_cases(draw: Any) -> tuple[Data, int, np.ndarray | None, Any, str, int]:
    case = draw(data())
    n = len(case.values)
    k = draw(st.one_of(st.just(1), st.just(n), st.integers(1, n)))
    weights = draw(weights_for(n))
    init = draw(init_for(case, k))
    algorithm = draw(st.sampled_from(ALGORITHMS))
    seed = draw(st.integers(0, 2**16))
    return case, k, weights, init, algorithm, seed


# --- KMeans ---------------------------------------------------------------------------------


SETTINGS = settings(max_examples=400, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


@SETTINGS
@given(fit_cases())
def test_kmeans_fit_predict_transform_score(params: tuple) -> None:
    case, k, weights, init, algorithm, seed = params
    note(repr(case))
    X = case.X
    model = quickmeans.KMeans(n_clusters=k, init=init, n_init=1, algorithm=algorithm,
                              random_state=seed, max_iter=30)
    inputs = [X, weights, init]
    _, error = call(lambda: model.fit(X, sample_weight=weights), inputs)
    if not check_outcome(error, expected_errors(case, k, weights, init)):
        return
    centers, labels = model.cluster_centers_, model.labels_
    assert_valid_fit(case, weights, k, centers, labels, model.inertia_)
    assert model.n_iter_ >= 1 and model.n_features_in_ == X.shape[1]

    predicted, error = call(lambda: model.predict(X), inputs)
    assert error is None, error
    assert_same_nearest(case.values, centers, labels, predicted)

    distances, error = call(lambda: model.transform(X), inputs)
    if not check_outcome(error, transform_errors(case, centers)):
        return
    assert distances.shape == (len(case.values), k) and distances.dtype == case.center_dtype
    assert np.isfinite(distances).all(), distances
    floor = ABS_FLOOR_F32 if case.center_dtype == np.float32 else ABS_FLOOR_F64
    expected = np.sqrt(squared_distances(case.values, centers))
    rtol = 1e-6 if case.center_dtype == np.float32 else 1e-12
    np.testing.assert_allclose(distances, expected, rtol=rtol, atol=floor)

    score, error = call(lambda: model.score(X, sample_weight=weights), inputs)
    assert error is None, error
    assert_close(-score, recomputed_inertia(case.values, centers, predicted, weights))

    again, error = call(lambda: quickmeans.KMeans(
        n_clusters=k, init=init, n_init=1, algorithm=algorithm, random_state=seed,
        max_iter=30).fit_predict(X, sample_weight=weights), inputs)
    assert error is None, error
    np.testing.assert_array_equal(again, labels)  # same seed, same data: same run


@SETTINGS
@given(fit_cases(), st.integers(1, 3))
def test_k_means_function(params: tuple, n_init: int) -> None:
    case, k, weights, init, algorithm, seed = params
    note(repr(case))
    if not isinstance(init, str):
        n_init = 1  # an explicit init runs once (more would warn)
    result, error = call(lambda: quickmeans.k_means(
        case.X, k, sample_weight=weights, init=init, n_init=n_init, algorithm=algorithm,
        random_state=seed, max_iter=20, return_n_iter=True), [case.X, weights, init])
    if not check_outcome(error, expected_errors(case, k, weights, init)):
        return
    centers, labels, inertia, n_iter = result
    assert_valid_fit(case, weights, k, centers, labels, inertia)
    assert 1 <= n_iter <= 20


@SETTINGS
@given(data(), st.data())
def test_kmeans_plusplus(case: Data, draw: st.DataObject) -> None:
    note(repr(case))
    n = len(case.values)
    k = draw.draw(st.integers(1, n))
    weights = draw.draw(weights_for(n))
    seed = draw.draw(st.integers(0, 2**16))
    result, error = call(lambda: quickmeans.kmeans_plusplus(
        case.X, k, sample_weight=weights, random_state=seed), [case.X, weights])
    if not check_outcome(error, expected_errors(case, k, weights, "k-means++")):
        return
    centers, indices = result
    assert centers.shape == (k, case.X.shape[1]) and centers.dtype == case.center_dtype
    assert indices.shape == (k,) and indices.dtype.kind == "i"
    assert indices.min() >= 0 and indices.max() < n
    np.testing.assert_array_equal(centers.astype(np.float64), case.values[indices])
    if weights is not None:
        assert weights[indices[0]] > 0  # the first seed is drawn in proportion to the weights

    # scikit-learn draws the same seeds from the same random_state. Its potentials use the
    # ||x||^2 - 2 x.c + ||c||^2 expansion, exact only for small integers: compare there.
    if np.all(case.values == np.round(case.values)) and np.abs(case.values).max() < 1e3:
        expected_centers, expected_indices = sklearn_cluster.kmeans_plusplus(
            case.values, k, sample_weight=weights, random_state=seed)
        np.testing.assert_array_equal(indices, expected_indices)


# --- MiniBatchKMeans ------------------------------------------------------------------------


@SETTINGS
@given(fit_cases(), st.sampled_from([1, 3, 1024]), st.integers(1, 3))
def test_minibatch_fit_and_partial_fit(params: tuple, batch_size: int, max_iter: int) -> None:
    case, k, weights, init, _, seed = params
    note(repr(case))
    X = case.X
    inputs = [X, weights, init]
    model = quickmeans.MiniBatchKMeans(n_clusters=k, init=init, batch_size=batch_size,
                                       max_iter=max_iter, random_state=seed)
    _, error = call(lambda: model.fit(X, sample_weight=weights), inputs)
    if check_outcome(error, expected_errors(case, k, weights, init)):
        assert_valid_fit(case, weights, k, model.cluster_centers_, model.labels_,
                         model.inertia_)
        predicted, error = call(lambda: model.predict(X), inputs)
        assert error is None, error
        assert_same_nearest(case.values, model.cluster_centers_, model.labels_, predicted)

    online = quickmeans.MiniBatchKMeans(n_clusters=k, init=init, random_state=seed)
    for _ in range(2):
        _, error = call(lambda: online.partial_fit(X, sample_weight=weights), inputs)
        if not check_outcome(error, expected_errors(case, k, weights, init)):
            return
        assert_valid_fit(case, weights, k, online.cluster_centers_, online.labels_,
                         online.inertia_)


# --- scikit-learn as a second oracle --------------------------------------------------------


@st.composite
def separated_blobs(draw: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, int]:
    """k blobs with centers 100 apart and points within 1 of them; the init takes one
    point of each blob, so Lloyd converges at once to the blob means, whoever runs it."""
    k = draw(st.integers(1, 4))
    d = draw(st.integers(1, 3))
    per_blob = draw(st.integers(1, 4))
    offsets = draw(hnp.arrays(np.float64, (k * per_blob, d),
                              elements=st.floats(-1, 1, width=32)))
    means = 100.0 * np.arange(k)[:, None] * np.ones(d)
    X = np.repeat(means, per_blob, axis=0) + offsets
    order = np.array(draw(st.permutations(range(len(X)))))
    X = X[order]
    blob = np.repeat(np.arange(k), per_blob)[order]
    weights = draw(weights_for(len(X)))
    if weights is not None:  # every blob keeps some weight (else its center is undefined)
        assume(all(np.asarray(weights)[blob == b].sum() > 0 for b in range(k)))
    init = np.array([X[np.flatnonzero(blob == b)[0]] for b in range(k)])
    dtype = draw(st.sampled_from(["<f8", "<f4", ">f8"]))
    return X.astype(dtype), init, weights, k


@settings(max_examples=150, deadline=None)
@given(separated_blobs(), st.sampled_from(["lloyd", "elkan"]))
@example((np.array([[3.8e-44], [0.0], [0.0]], dtype=np.float32),
          np.array([[3.78350585e-44]]), None, 1), "lloyd")
def test_same_as_sklearn_on_separated_data(blobs: tuple, algorithm: str) -> None:
    X, init, weights, k = blobs
    algorithm = "lloyd" if k == 1 else algorithm  # elkan warns (and runs lloyd) for k=1
    ours = quickmeans.KMeans(n_clusters=k, init=init, n_init=1, algorithm=algorithm)
    theirs = sklearn_cluster.KMeans(n_clusters=k, init=init, n_init=1, algorithm="lloyd")
    ours.fit(X, sample_weight=weights)
    theirs.fit(np.asarray(X, dtype=X.dtype.newbyteorder("=")), sample_weight=weights)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype
    rtol = 1e-5 if X.dtype.itemsize == 4 else 1e-12
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol,
                               atol=1e-4 if X.dtype.itemsize == 4 else 1e-10)
    # scikit-learn's inertia of near-identical points has rounding errors relative to the
    # squared norms (up to 300**2 here), not to the inertia: an absolute floor scaled by them.
    # It also squares in X's dtype, so in float32 a square below the smallest normal float32
    # underflows (e.g. X = [[3.8e-44], [0], [0]]: its inertia 0, ours 9.5e-88): a floor of
    # a few smallest normals per element covers that.
    norms = float(np.sum(np.asarray(X, dtype=np.float64) ** 2))
    underflow = 4 * X.size * float(np.finfo(X.dtype).tiny)
    np.testing.assert_allclose(ours.inertia_, theirs.inertia_, rtol=1e-4,
                               atol=1e-9 * norms + underflow)
    np.testing.assert_array_equal(ours.predict(X), theirs.predict(X))


# --- regressions: the bugs these properties found, as plain examples ------------------------


def test_big_endian_float32_stays_float32() -> None:
    # '>f4' != '<f4' as dtypes: big-endian float32 used to be treated as "other" -> float64.
    X = np.array([[0.0, 1.0], [0.0, 2.0], [5.0, 5.0]], dtype=">f4")
    assert quickmeans.KMeans(2, random_state=0).fit(X).cluster_centers_.dtype == np.float32
    assert quickmeans.kmeans_plusplus(X, 2, random_state=0)[0].dtype == np.float32
    assert quickmeans.MiniBatchKMeans(2, random_state=0).fit(X).cluster_centers_.dtype \
        == np.float32


def test_values_whose_squared_distances_overflow_are_reported() -> None:
    # Used to return inertia_ nan (0 * inf from zero weights) or inf.
    X = np.array([[0.0], [0.0], [1e200]])
    for weights in (None, np.array([0.0, 0.0, 1.0])):
        with pytest.raises(ValueError, match="too large for k-means"):
            quickmeans.KMeans(1, random_state=0).fit(X, sample_weight=weights)
    with pytest.raises(ValueError, match="too large for k-means"):
        quickmeans.kmeans_plusplus(X, 1, random_state=0)
    with pytest.raises(ValueError, match="sum of sample_weight overflows"):
        quickmeans.KMeans(1).fit(np.ones((2, 1)), sample_weight=[1e308, 1e308])


def test_predict_reports_values_too_large_for_exact_distances() -> None:
    # predict skips the finiteness pass: -1e200 used to get label 0 (an all-inf tie) though
    # the center at 0.5 is nearer. The engine now counts such rows and predict raises.
    model = quickmeans.KMeans(2, random_state=0).fit(np.array([[0.0], [1.0], [10.0], [11.0]]))
    for value in (1e200, -1e200, 1e160, -1e160):
        with pytest.raises(ValueError, match="too large for k-means"):
            model.predict(np.array([[0.0], [value]]))
    assert list(model.predict(np.array([[0.0], [11.0]]))) == [1, 0]


@pytest.mark.filterwarnings("ignore:Number of distinct clusters")
def test_labels_match_centers_after_a_relocation_at_strict_convergence() -> None:
    # The mean of ten copies of 1e30 rounds away from 1e30; the empty cluster was then moved
    # onto the (exact) point after labels had stopped changing, and labels_ went stale.
    X = np.full((10, 1), 1e30)
    for algorithm in ("lloyd", "elkan", "hamerly"):
        model = quickmeans.KMeans(2, init=X[:2], algorithm=algorithm).fit(X)
        np.testing.assert_array_equal(model.labels_, model.predict(X))
        assert_nearest(X, model.cluster_centers_, model.labels_)
        assert model.inertia_ == recomputed_inertia(X, model.cluster_centers_, model.labels_,
                                                    None)


def test_float32_transform_overflow_is_reported() -> None:
    # Distances are exact in float64 but were stored as inf in float32 output.
    X = np.array([[0.0, 0.0], [2e38, 3e38]], dtype=np.float32)
    model = quickmeans.KMeans(1, random_state=0).fit(X[:1])
    with pytest.raises(ValueError, match="overflow float32"):
        model.transform(X)
    assert np.isfinite(model.transform(X.astype(np.float64))).all()


def test_minibatch_init_subsample_without_weight() -> None:
    # The init subsample ignores the weights: it could hold none and k-means++ divided by
    # zero ("probabilities contain NaN", with a RuntimeWarning).
    X = np.arange(20.0).reshape(10, 2)
    weights = np.zeros(10)
    weights[9] = 1.0
    for init in ("k-means++", "random"):
        for seed in range(3):
            model = quickmeans.MiniBatchKMeans(1, init=init, batch_size=1, random_state=seed)
            model.fit(X, sample_weight=weights)
            np.testing.assert_array_equal(model.cluster_centers_, X[9:])
