"""Bad input gets a clear ValueError/TypeError, never a crash or a silent wrong answer, and
nothing the user passed in is modified."""

from __future__ import annotations

import re

import numpy as np
import pytest

import quickmeans
from conftest import make_blobs
from quickmeans._compat import NotFittedError

X_GOOD = make_blobs(50, 3, 2, seed=40)


def fit(X=X_GOOD, **params):
    sample_weight = params.pop("sample_weight", None)
    return quickmeans.KMeans(**{"n_clusters": 2, "random_state": 0, **params}).fit(
        X, sample_weight=sample_weight)


@pytest.mark.parametrize("bad, message", [
    (np.nan, "contains NaN"),
    (np.inf, "contains infinity"),
    (-np.inf, "contains infinity"),
])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_non_finite_values(bad, message, dtype) -> None:
    X = X_GOOD.astype(dtype)
    X[7, 1] = bad
    # tol > 0: the pass that scales tol checks X; tol = 0: the separate check does.
    for tol in (1e-4, 0.0):
        with pytest.raises(ValueError, match=message):
            fit(X, tol=tol)
    model = fit(X_GOOD.astype(dtype))
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError, match=message):
            method(X)


@pytest.mark.parametrize("X, message", [
    (np.zeros((0, 3)), "0 sample"),
    (np.zeros((5, 0)), "0 feature"),
    (np.arange(6.0), "Expected 2D array, got 1D"),
    (np.float64(3.0), "Expected 2D array, got scalar"),
    (np.zeros((4, 2, 2)), "dim 3"),
    (np.array([["a", "b"], ["c", "d"]]), "strings"),
    (np.ones((4, 2)) * 1j, "Complex"),
    ([[1.0, 2.0], [3.0]], "inhomogeneous|sequence"),
])
def test_bad_shapes_and_types(X, message) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        fit(X)


def test_too_few_samples() -> None:
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=4"):
        fit(X_GOOD[:3], n_clusters=4)
    with pytest.raises(ValueError, match="n_samples=3 should be >= n_clusters=4"):
        quickmeans.kmeans_plusplus(X_GOOD[:3], 4)


@pytest.mark.parametrize("params, message", [
    ({"n_clusters": 0}, "'n_clusters' parameter of KMeans must be an int in the range"),
    ({"n_clusters": -2}, "'n_clusters'"),
    ({"n_clusters": 2.5}, "'n_clusters'"),
    ({"n_clusters": "3"}, "'n_clusters'"),
    ({"n_init": 0}, "'n_init'"),
    ({"n_init": "many"}, "'n_init'"),
    ({"max_iter": 0}, "'max_iter'"),
    ({"tol": -1.0}, "'tol'"),
    ({"algorithm": "fast"}, "'algorithm' parameter of KMeans must be a str among"),
    ({"init": "kmeans++"}, "'init' parameter of KMeans must be a str among"),
    ({"n_threads": 0}, "n_threads"),
    ({"random_state": "seed"}, "cannot be used to seed"),
])
def test_bad_parameters(params, message) -> None:
    with pytest.raises(ValueError, match=message):
        fit(**params)


@pytest.mark.parametrize("init, message", [
    (np.zeros((3, 3)), r"initial centers \(3, 3\) does not match the number of clusters 2"),
    (np.zeros((2, 4)), r"does not match the number of features of the data 3"),
    (np.zeros(6), "does not match the number of clusters"),
    (np.array([[0, 0, 0], [1, np.nan, 1]]), "init contains NaN"),
])
def test_bad_init_arrays(init, message) -> None:
    with pytest.raises(ValueError, match=message):
        fit(init=init)
    with pytest.raises(ValueError, match=message):
        fit(init=lambda X, k, random_state: init)


@pytest.mark.parametrize("weights, message", [
    (-np.ones(50), "Negative values in data passed to sample_weight"),
    (np.ones(49), r"sample_weight.shape == \(49,\), expected \(50,\)"),
    (np.ones((50, 1)), "1D array or scalar"),
    (np.zeros(50), "at least one non-zero"),
    (np.full(50, np.nan), "sample_weight contains NaN"),
])
def test_bad_sample_weight(weights, message) -> None:
    with pytest.raises(ValueError, match=message):
        fit(sample_weight=weights)


def test_random_init_needs_enough_weighted_samples() -> None:
    w = np.zeros(50)
    w[0] = 1.0
    with pytest.raises(ValueError, match="positive sample_weight"):
        fit(init="random", sample_weight=w)


def test_use_before_fit() -> None:
    model = quickmeans.KMeans(2)
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(NotFittedError, match="not fitted yet"):
            method(X_GOOD)


def test_feature_count_mismatch() -> None:
    model = fit()
    for method in (model.predict, model.transform, model.score):
        with pytest.raises(ValueError, match="X has 4 features, but KMeans is expecting 3"):
            method(np.zeros((5, 4)))


def test_sparse_init_or_weights_are_refused_clearly() -> None:
    # X may be sparse (tests/test_sparse.py); the small arrays beside it may not.
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="sparse"):
        fit(init=sparse.csr_matrix(X_GOOD[:2]))
    with pytest.raises(TypeError, match="sparse"):
        fit(sample_weight=sparse.csr_matrix(np.ones((1, len(X_GOOD)))))


@pytest.mark.parametrize("algorithm", ["lloyd", "elkan", "hamerly"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64])
def test_inputs_are_never_modified(algorithm, order, dtype) -> None:
    X = np.asarray(make_blobs(300, 4, 3, seed=41) * 10, order=order).astype(dtype, order=order)
    init = np.asarray(X[:3], order=order)
    w = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    copies = [X.copy(order="K"), init.copy(order="K"), w.copy()]
    model = quickmeans.KMeans(3, init=init, algorithm=algorithm).fit(X, sample_weight=w)
    model.predict(X)
    model.transform(X)
    model.score(X, sample_weight=w)
    for original, copy in zip([X, init, w], copies):
        np.testing.assert_array_equal(original, copy)
        assert original.flags.c_contiguous == copy.flags.c_contiguous
    assert not np.shares_memory(model.cluster_centers_, init)


def test_read_only_and_non_contiguous_input_work() -> None:
    X = make_blobs(400, 6, 3, seed=42)
    X.setflags(write=False)
    view = X[::2, ::2]
    model = quickmeans.KMeans(3, random_state=0).fit(view)
    expected = quickmeans.KMeans(3, random_state=0).fit(np.ascontiguousarray(view))
    np.testing.assert_array_equal(model.labels_, expected.labels_)


def test_integer_and_boolean_input_is_converted_to_float64() -> None:
    X = (make_blobs(200, 2, 2, seed=43) > 0)
    model = quickmeans.KMeans(2, random_state=0).fit(X)
    assert model.cluster_centers_.dtype == np.float64
    model = quickmeans.KMeans(2, random_state=0).fit(X.astype(np.int16))
    assert model.cluster_centers_.dtype == np.float64


def test_float32_near_its_largest_values_still_gives_a_valid_result() -> None:
    # Squared norms overflow float32 here (scikit-learn returns NaN centers); the engine's
    # scores fall back to exact double distances, so the result is the reference's.
    from quickmeans import reference as ref

    X = np.random.RandomState(44).uniform(-3e38, 3e38, (500, 3)).astype(np.float32)
    init = X[:4].copy()
    model = quickmeans.KMeans(4, init=init).fit(X)
    expected = ref.kmeans(X, 4, init=init)
    assert np.isfinite(model.cluster_centers_).all()
    np.testing.assert_array_equal(model.labels_, expected[1])
    assert model.n_iter_ == expected[3]
    assert model.inertia_ == pytest.approx(expected[2], rel=1e-6)


def test_predict_on_huge_finite_values_is_not_mistaken_for_bad_input() -> None:
    # Scores overflow to inf for these float32 rows, so the engine settles them exactly;
    # predict's NaN/inf report (made by the engine) must still see them as finite.
    model = fit(X_GOOD.astype(np.float32))
    huge = np.full((3, 3), 3e38, dtype=np.float32)
    huge[1] *= -1
    labels = model.predict(huge)
    exact = ((huge.astype(np.float64)[:, None, :]
              - model.cluster_centers_.astype(np.float64)[None]) ** 2).sum(axis=2).argmin(axis=1)
    np.testing.assert_array_equal(labels, exact)


# ---- pandas frames with pd.NA (nullable and pyarrow dtypes) ------------------------------

X_INT = np.round(X_GOOD * 4)  # integer-valued, so Int64 frames hold exactly these values


def _frame(kind: str, with_na: bool):
    """(frame, the float64 array it holds): pandas' nullable and pyarrow numeric dtypes."""
    pd = pytest.importorskip("pandas")
    if "pyarrow" in kind:
        pytest.importorskip("pyarrow")
    values = X_INT if kind in ("Int64", "int64[pyarrow]", "convert_dtypes") else X_GOOD
    if kind == "read_csv":
        import io

        rows = [",".join(repr(float(v)) for v in row) for row in values]
        if with_na:
            rows[3] = "," + rows[3].split(",", 1)[1]  # row 3's first field is blank
        frame = pd.read_csv(io.StringIO("a,b,c\n" + "\n".join(rows)), dtype_backend="pyarrow")
        return frame, values
    frame = pd.DataFrame(values, columns=["a", "b", "c"])
    if with_na:
        frame = frame.astype(object)
        frame.iloc[3, 0] = None
    if kind == "convert_dtypes":
        frame = frame.astype(np.float64).convert_dtypes()
    else:
        frame = frame.astype(kind)
    return frame, values


FRAME_KINDS = ["Float64", "Int64", "double[pyarrow]", "int64[pyarrow]", "convert_dtypes",
               "read_csv"]


def _entry_points(fitted):
    return {
        "fit": lambda F: quickmeans.KMeans(2, random_state=0).fit(F),
        "fit_predict": lambda F: quickmeans.KMeans(2, random_state=0).fit_predict(F),
        "fit_transform": lambda F: quickmeans.KMeans(2, random_state=0).fit_transform(F),
        "predict": fitted.predict,
        "transform": fitted.transform,
        "score": fitted.score,
        "MiniBatchKMeans.fit": lambda F: quickmeans.MiniBatchKMeans(2, random_state=0).fit(F),
        "MiniBatchKMeans.partial_fit":
            lambda F: quickmeans.MiniBatchKMeans(2, random_state=0).partial_fit(F),
        "k_means": lambda F: quickmeans.k_means(F, 2, random_state=0),
        "kmeans_plusplus": lambda F: quickmeans.kmeans_plusplus(F, 2, random_state=0),
        "silhouette_score": lambda F: quickmeans.silhouette_score(F, np.arange(len(F)) % 2),
    }


@pytest.mark.parametrize("kind", FRAME_KINDS)
def test_pandas_missing_values_are_reported_as_nan(kind) -> None:
    frame, values = _frame(kind, with_na=True)
    assert frame.isna().to_numpy().sum() == 1
    fitted = quickmeans.KMeans(2, random_state=0).fit(_frame(kind, with_na=False)[0])
    for call in _entry_points(fitted).values():
        with pytest.raises(ValueError, match=r"^Input X contains NaN\."):
            call(frame)


@pytest.mark.parametrize("kind", FRAME_KINDS)
def test_pandas_nullable_frames_without_missing_values_work_as_float64(kind) -> None:
    frame, values = _frame(kind, with_na=False)
    ref = quickmeans.KMeans(2, random_state=0).fit(values)
    model = quickmeans.KMeans(2, random_state=0).fit(frame)
    np.testing.assert_array_equal(model.cluster_centers_, ref.cluster_centers_)
    assert model.cluster_centers_.dtype == np.float64
    np.testing.assert_array_equal(model.predict(frame), ref.predict(values))
    np.testing.assert_array_equal(model.transform(frame), ref.transform(values))
    assert model.score(frame) == ref.score(values)
    assert list(model.feature_names_in_) == ["a", "b", "c"]
    mini = quickmeans.MiniBatchKMeans(2, random_state=0).fit(frame)
    mini_ref = quickmeans.MiniBatchKMeans(2, random_state=0).fit(values)
    np.testing.assert_array_equal(mini.cluster_centers_, mini_ref.cluster_centers_)
    np.testing.assert_array_equal(quickmeans.k_means(frame, 2, random_state=0)[1],
                                  quickmeans.k_means(values, 2, random_state=0)[1])
    np.testing.assert_array_equal(quickmeans.kmeans_plusplus(frame, 2, random_state=0)[1],
                                  quickmeans.kmeans_plusplus(values, 2, random_state=0)[1])


def test_pandas_nullable_float32_stays_float32() -> None:
    pytest.importorskip("pandas")
    frame = _frame("Float64", with_na=False)[0].astype("Float32")
    model = quickmeans.KMeans(2, random_state=0).fit(frame)
    ref = quickmeans.KMeans(2, random_state=0).fit(X_GOOD.astype(np.float32))
    assert model.cluster_centers_.dtype == np.float32
    np.testing.assert_array_equal(model.cluster_centers_, ref.cluster_centers_)


def test_pandas_sample_weight_with_missing_values() -> None:
    pd = pytest.importorskip("pandas")
    weights = pd.Series(np.ones(len(X_GOOD))).astype("Float64")
    weights[5] = pd.NA
    with pytest.raises(ValueError, match="Input sample_weight contains NaN"):
        fit(sample_weight=weights)


# ---- silhouette_score and elbow: sample_size --------------------------------------------

@pytest.mark.parametrize("sample_size", [0, -1, -49, 2.5, "10", True])
def test_silhouette_sample_size_must_be_a_positive_int(sample_size) -> None:
    labels = np.arange(len(X_GOOD)) % 3
    with pytest.raises(ValueError, match=(
            r"The 'sample_size' parameter of silhouette_score must be an int in the range "
            rf"\[1, inf\) or None\. Got {re.escape(repr(sample_size))} instead\.")):
        quickmeans.silhouette_score(X_GOOD, labels, sample_size=sample_size)


def test_silhouette_sample_size_one_and_above_n_as_scikit_learn() -> None:
    labels = np.arange(len(X_GOOD)) % 3
    with pytest.raises(ValueError, match=r"Number of labels is 1\. Valid values are 2 to "):
        quickmeans.silhouette_score(X_GOOD, labels, sample_size=1)
    whole = quickmeans.silhouette_score(X_GOOD, labels)
    assert quickmeans.silhouette_score(X_GOOD, labels, sample_size=10**6,
                                       random_state=0) == pytest.approx(whole, rel=1e-12)


@pytest.mark.parametrize("sample_size", [1, 0, -5, 2.5, True])
def test_elbow_sample_size_below_two_is_refused(sample_size) -> None:
    with pytest.raises(ValueError, match=(
            r"The 'sample_size' parameter of elbow must be an int in the range \[2, inf\) or "
            rf"None\. Got {re.escape(repr(sample_size))} instead\.")):
        quickmeans.elbow(X_GOOD, range(2, 4), sample_size=sample_size)


@pytest.mark.parametrize("params", [
    {"k_range": [2, 3], "silhouette": False},  # two k: no knee; no silhouette computed
    {"k_range": [1], "silhouette": True},  # k = 1 has no silhouette score
])
def test_elbow_suggests_nothing_from_all_nan_scores(params) -> None:
    result = quickmeans.elbow(X_GOOD, **params)
    assert result.knee is None and np.isnan(result.silhouette).all()
    assert result.suggested is None


def test_elbow_without_a_knee_suggests_the_best_silhouette() -> None:
    result = quickmeans.elbow(X_GOOD, [2, 3], sample_size=2**70)
    assert result.knee is None and not np.isnan(result.silhouette).any()
    assert result.suggested == result.k[np.argmax(result.silhouette)]


@pytest.mark.parametrize("tol", [1e-4, 0.0])
def test_values_too_large_for_squared_distances(tol) -> None:
    X = X_GOOD.copy()
    X[3, 0] = 1e300  # finite, but its squared distances overflow float64
    with pytest.raises(ValueError, match="too large for k-means"):
        fit(X, tol=tol)
