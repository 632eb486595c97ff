"""SphericalKMeans against the pure-NumPy reference (reference.spherical_kmeans) and by hand.

Same init => same labels, unit centers, inertia and n_iter, for dense float32/float64 and
CSR, with weights, zero rows, empty clusters and 1 or 2 threads.
"""

from __future__ import annotations

import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

import quickmeans
from conftest import directions
from quickmeans import SphericalKMeans
from quickmeans import reference as ref

DTYPES = [np.float64, np.float32]



def sparse_rows(n: int, d: int, *, seed: int = 0, dtype: type = np.float64) -> sp.csr_matrix:
    """TF-IDF-like counts: each row draws words mostly from one of 5 topics."""
    rng = np.random.default_rng(seed)
    topic = rng.integers(0, 5, n)
    rows, cols = [], []
    for i in range(n):
        words = np.where(rng.random(12) < 0.7, topic[i] * (d // 5) + rng.integers(0, d // 5, 12),
                         rng.integers(0, d, 12))
        rows += [i] * len(words)
        cols += list(words)
    X = sp.csr_matrix((rng.uniform(0.5, 2.0, len(rows)), (rows, cols)), shape=(n, d), dtype=dtype)
    X.sum_duplicates()
    return X


def rtol_for(dtype: type) -> float:
    return 1e-9 if dtype == np.float64 else 1e-4


def assert_same_run(model: SphericalKMeans, expected: tuple, dtype: type) -> None:
    centers, labels, inertia, n_iter = expected
    np.testing.assert_array_equal(model.labels_, labels)
    assert model.n_iter_ == n_iter
    np.testing.assert_allclose(model.cluster_centers_, centers, rtol=rtol_for(dtype),
                               atol=rtol_for(dtype))
    assert model.inertia_ == pytest.approx(inertia, rel=rtol_for(dtype) * 10)
    assert model.cluster_centers_.dtype == dtype


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_same_init_gives_the_reference_run(dtype, weighted, n_threads) -> None:
    X = directions(3000, 20, 6, seed=1, dtype=dtype)
    w = np.random.default_rng(2).uniform(0.1, 3.0, len(X)) if weighted else None
    init = X[np.random.default_rng(3).choice(len(X), 6, replace=False)]
    model = SphericalKMeans(6, init=init, max_iter=100, tol=0, n_threads=n_threads)
    model.fit(X, sample_weight=w)
    assert_same_run(model, ref.spherical_kmeans(X, init, sample_weight=w, max_iter=100), dtype)
    assert model.n_iter_ > 2  # the run went somewhere


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_bounded_steps_give_the_reference_run(dtype, weighted, n_threads) -> None:
    # A shape where the fit keeps Hamerly bounds between steps (KMeans would pick Hamerly),
    # with a repeated init center: an empty cluster is relocated (a jump the bounds absorb).
    from quickmeans._spherical_step import BoundedSteps, make_steps, prepare_rows

    X = directions(4000, 48, 10, seed=20, noise=1.2, dtype=dtype)
    w = np.random.default_rng(21).uniform(0.1, 3.0, len(X)) if weighted else None
    init = X[np.r_[0, 0, np.random.default_rng(22).choice(len(X), 8, replace=False)]]
    rows = prepare_rows(X, w)
    assert isinstance(make_steps(X, rows, 10, n_threads, False), BoundedSteps)
    model = SphericalKMeans(10, init=init, tol=0, n_threads=n_threads).fit(X, sample_weight=w)
    assert_same_run(model, ref.spherical_kmeans(X, init, sample_weight=w), dtype)
    assert model.n_iter_ > 3
    # Unit rows take the engine's unweighted sums; the same run.
    unit = (X / np.linalg.norm(X.astype(np.float64), axis=1, keepdims=True)).astype(dtype)
    model = SphericalKMeans(10, init=init, tol=0, n_threads=n_threads).fit(unit, sample_weight=w)
    assert_same_run(model, ref.spherical_kmeans(unit, init, sample_weight=w), dtype)


@pytest.mark.parametrize("n_threads", [1, 2])
@pytest.mark.parametrize("dtype", DTYPES)
def test_csr_same_init_gives_the_reference_run(dtype, n_threads) -> None:
    X = sparse_rows(1500, 400, seed=4, dtype=dtype)
    w = np.random.default_rng(5).uniform(0.1, 3.0, X.shape[0])
    init = X[:5].toarray()
    model = SphericalKMeans(5, init=init, tol=0, n_threads=n_threads).fit(X, sample_weight=w)
    expected = ref.spherical_kmeans(X.toarray(), init, sample_weight=w)
    assert_same_run(model, expected, dtype)
    dense = SphericalKMeans(5, init=init, tol=0, n_threads=n_threads).fit(X.toarray(),
                                                                         sample_weight=w)
    np.testing.assert_array_equal(dense.labels_, model.labels_)


def test_csr_with_negative_values_gives_the_reference_run() -> None:
    X = sparse_rows(1200, 300, seed=23)
    X.data *= np.random.default_rng(24).choice([-1.0, 1.0], X.nnz)
    init = X[:6].toarray()
    model = SphericalKMeans(6, init=init, tol=0).fit(X)
    assert_same_run(model, ref.spherical_kmeans(X.toarray(), init), np.float64)
    np.testing.assert_array_equal(model.predict(X), model.labels_)


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_default_kmeans_plusplus_seeds_are_the_references(sparse, weighted) -> None:
    X = sparse_rows(800, 300, seed=6) if sparse else directions(800, 10, 7, seed=6)
    dense = X.toarray() if sparse else X
    w = np.random.default_rng(7).uniform(0.2, 2.0, X.shape[0]) if weighted else None
    for seed in range(3):
        model = SphericalKMeans(7, random_state=seed, tol=0).fit(X, sample_weight=w)
        seeds, _ = ref.spherical_kmeans_plusplus(dense, 7, sample_weight=w,
                                                 random_state=np.random.RandomState(seed))
        expected = ref.spherical_kmeans(dense, seeds, sample_weight=w)
        assert_same_run(model, expected, np.float64)


def test_tol_is_relative_to_the_variance_of_the_normalised_rows() -> None:
    X = directions(4000, 8, 5, seed=8, noise=1.5)
    init = X[:5]
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    scale = float(np.mean(np.var(unit, axis=0)))
    for tol in (1e-2, 1e-4):
        model = SphericalKMeans(5, init=init, tol=tol).fit(X)
        expected = ref.spherical_kmeans(X, init, tol=tol * scale)
        assert_same_run(model, expected, np.float64)
    loose = SphericalKMeans(5, init=init, tol=1e-1).fit(X).n_iter_
    assert loose < SphericalKMeans(5, init=init, tol=0).fit(X).n_iter_


def test_row_norms_do_not_matter() -> None:
    X = directions(2000, 12, 4, seed=9)
    scales = np.random.default_rng(10).uniform(0.01, 100.0, (len(X), 1))
    a = SphericalKMeans(4, random_state=0).fit(X)
    b = SphericalKMeans(4, init=a.cluster_centers_ * 7.0).fit(X * scales)
    np.testing.assert_array_equal(a.predict(X), b.labels_)
    np.testing.assert_allclose(b.cluster_centers_, a.cluster_centers_, atol=1e-6)


def test_hand_computed_case() -> None:
    # Two directions, 0 and 90 degrees; norms differ wildly. Centers are the normalised
    # sums of the normalised rows, inertia is the sum of 1 - cos.
    X = np.array([[2.0, 0.0], [0.0, 30.0], [5.0, 5.0], [0.1, 0.0], [1.0, 3.0]])
    init = np.array([[1.0, 0.0], [0.0, 1.0]])
    model = SphericalKMeans(2, init=init, max_iter=1).fit(X)
    # Against (1,0) and (0,1): row 2 is a tie (45 degrees) -> the lower index, 0.
    s = np.sqrt(0.5)
    c0 = np.array([1 + s + 1, s]) / np.linalg.norm([1 + s + 1, s])
    v = np.array([1.0, 3.0]) / np.sqrt(10)
    c1 = (np.array([0.0, 1.0]) + v) / np.linalg.norm(np.array([0.0, 1.0]) + v)
    np.testing.assert_allclose(model.cluster_centers_, [c0, c1], rtol=1e-12)
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    best = (unit @ np.array([c0, c1]).T).max(axis=1)
    assert model.score(X) == pytest.approx(-np.sum(1 - best), rel=1e-12)
    np.testing.assert_allclose(model.transform(X), 1 - unit @ np.array([c0, c1]).T, atol=1e-12)


@pytest.mark.parametrize("sparse", [False, True])
def test_zero_rows_rule(sparse) -> None:
    X = directions(600, 6, 3, seed=11)
    X[[5, 17, 400]] = 0.0
    w = np.random.default_rng(12).uniform(0.5, 2.0, len(X))
    data = sp.csr_matrix(X) if sparse else X
    init = X[[0, 1, 2]]
    model = SphericalKMeans(3, init=init, tol=0).fit(data, sample_weight=w)
    assert_same_run(model, ref.spherical_kmeans(X, init, sample_weight=w), np.float64)
    assert (model.labels_[[5, 17, 400]] == 0).all()
    np.testing.assert_array_equal(model.predict(data)[[5, 17, 400]], 0)
    np.testing.assert_allclose(model.transform(data)[[5, 17, 400]], 1.0)
    # A zero row counts with cosine 0: its weight, whatever the centers.
    without = SphericalKMeans(3, init=init, tol=0).fit(np.delete(X, [5, 17, 400], axis=0),
                                                       sample_weight=np.delete(w, [5, 17, 400]))
    assert model.inertia_ == pytest.approx(without.inertia_ + w[[5, 17, 400]].sum(), rel=1e-9)
    np.testing.assert_allclose(model.cluster_centers_, without.cluster_centers_, rtol=1e-12)
    # k-means++ never seeds on a zero row.
    for seed in range(5):
        assert np.isfinite(SphericalKMeans(3, random_state=seed).fit(data).inertia_)


def test_all_zero_rows_and_zero_centers_are_errors() -> None:
    with pytest.raises(ValueError, match="Every row of X is all zeros"):
        SphericalKMeans(2).fit(np.zeros((5, 3)))
    X = directions(50, 3, 2, seed=13)
    with pytest.raises(ValueError, match="init row 1 is all zeros"):
        SphericalKMeans(2, init=np.array([[1.0, 0, 0], [0, 0, 0]])).fit(X)
    model = SphericalKMeans(2, random_state=0).fit(X)
    model.cluster_centers_ = np.zeros_like(model.cluster_centers_)
    with pytest.raises(ValueError, match="cluster_centers_ row 0 is all zeros"):
        model.predict(X)
    with pytest.raises(ValueError, match="n_samples=50 should be >= n_clusters=60"):
        SphericalKMeans(60).fit(X)
    with pytest.raises(ValueError, match="'init' parameter"):
        SphericalKMeans(2, init="spherical").fit(X)
    with pytest.raises(ValueError, match="contains NaN"):
        SphericalKMeans(2).fit(np.where(X > 1, np.nan, X))


@pytest.mark.parametrize("dtype", DTYPES)
def test_empty_cluster_takes_the_row_of_lowest_cosine(dtype) -> None:
    X = directions(500, 5, 3, seed=14, dtype=dtype)
    # A repeated init center: the copy (higher index) never wins a row and starts empty.
    init = X[[0, 0, 100, 200]]
    model = SphericalKMeans(4, init=init, tol=0).fit(X)
    assert_same_run(model, ref.spherical_kmeans(X, init), dtype)
    assert len(np.unique(model.labels_)) == 4


@pytest.mark.parametrize("sparse", [False, True])
@pytest.mark.parametrize("dtype", DTYPES)
def test_transform_score_predict_against_numpy(sparse, dtype) -> None:
    X = sparse_rows(400, 100, seed=15, dtype=dtype) if sparse else directions(
        400, 9, 4, seed=15, dtype=dtype)
    model = SphericalKMeans(4, random_state=0).fit(X)
    dense = X.toarray() if sparse else X
    unit = dense / np.linalg.norm(dense.astype(np.float64), axis=1, keepdims=True)
    cos = unit @ model.cluster_centers_.astype(np.float64).T
    distances = model.transform(X)
    assert distances.dtype == dtype
    np.testing.assert_allclose(distances, 1 - cos, atol=10 * rtol_for(dtype))
    np.testing.assert_array_equal(model.predict(X), np.argmax(cos, axis=1))
    np.testing.assert_array_equal(model.predict(X), model.labels_)
    assert model.score(X) == pytest.approx(-model.inertia_, rel=rtol_for(dtype))
    w = np.arange(1.0, X.shape[0] + 1)
    assert model.score(X, sample_weight=w) == pytest.approx(-(w @ (1 - cos.max(axis=1))),
                                                            rel=rtol_for(dtype))
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_.astype(np.float64), axis=1),
                               1.0, rtol=rtol_for(dtype))


@pytest.mark.parametrize("sparse", [False, True])
def test_input_is_neither_modified_nor_upcast(sparse) -> None:
    X = directions(300, 6, 3, seed=16, dtype=np.float32)
    data = sp.csr_matrix(X) if sparse else X
    before = (data.data if sparse else data).copy()
    (data.data if sparse else data).flags.writeable = False
    model = SphericalKMeans(3, random_state=0).fit(data)
    model.predict(data), model.transform(data), model.score(data)
    np.testing.assert_array_equal(data.data if sparse else data, before)
    assert model.cluster_centers_.dtype == np.float32


def test_n_init_keeps_the_lowest_inertia_and_random_init() -> None:
    X = directions(1000, 4, 6, seed=17, noise=1.0)
    model = SphericalKMeans(6, init="random", n_init=4, random_state=3).fit(X)
    rng = np.random.RandomState(3)
    runs = [SphericalKMeans(6, init="random", n_init=1, random_state=rng).fit(X).inertia_
            for _ in range(4)]
    assert model.inertia_ == pytest.approx(min(runs))


def test_random_init_draws_rows_as_kmeans_does() -> None:
    X = directions(900, 5, 4, seed=27)
    for seed in range(3):
        model = SphericalKMeans(4, init="random", n_init=1, random_state=seed, tol=0).fit(X)
        rows = np.random.RandomState(seed).choice(len(X), 4, replace=False,
                                                  p=np.full(len(X), 1 / len(X)))
        assert_same_run(model, ref.spherical_kmeans(X, X[rows]), np.float64)


def test_callable_init_gets_x() -> None:
    X = directions(200, 4, 3, seed=18)
    seen = {}

    def init(data, n_clusters, random_state):
        seen["shape"] = data.shape
        return data[:n_clusters] * 3.0

    model = SphericalKMeans(3, init=init).fit(X)
    assert seen["shape"] == X.shape
    assert_same_run(model, ref.spherical_kmeans(X, X[:3], tol=model.tol * float(
        np.mean(np.var(X / np.linalg.norm(X, axis=1, keepdims=True), axis=0)))), np.float64)


def test_clone_pickle_pipeline_and_public_name() -> None:
    assert "SphericalKMeans" in quickmeans.__all__
    X = directions(500, 5, 3, seed=19)
    model = SphericalKMeans(3, random_state=0)
    assert not hasattr(clone(model), "cluster_centers_")
    model.fit(X)
    restored = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(restored.predict(X), model.predict(X))
    # Scaling rows by anything positive first changes nothing.
    pipe = make_pipeline(FunctionTransformer(lambda A: A * 3.0), SphericalKMeans(3, random_state=0))
    np.testing.assert_array_equal(pipe.fit(X).predict(X), model.labels_)
    assert repr(SphericalKMeans(4, tol=0)) == "SphericalKMeans(n_clusters=4, tol=0)"


def test_tfidf_straight_from_the_vectorizer() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    docs = ["the rocket went to orbit", "a rocket and a space station", "orbit of a moon",
            "the chef cooked pasta", "a chef and a recipe", "pasta recipe for the chef",
            "the the the"]
    X = TfidfVectorizer(stop_words="english").fit_transform(docs)
    model = SphericalKMeans(2, random_state=0, n_init=5).fit(X)
    assert X.shape[0] == 7 and X[6].nnz == 0  # the last document is all stop words
    labels = model.labels_
    assert len(set(labels[:3])) == 1 and len(set(labels[3:6])) == 1 and labels[0] != labels[3]


def test_embeddings_example_runs() -> None:
    example = Path(__file__).resolve().parent.parent / "examples" / "embeddings.py"
    proc = subprocess.run([sys.executable, "-W", "error", str(example)], capture_output=True,
                          text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    ari = float(proc.stdout.split("adjusted Rand index")[1].split(":")[1].split()[0])
    assert ari > 0.9, proc.stdout


def test_readme_snippet_runs(capsys) -> None:
    import re

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    body = readme.split("## Spherical k-means: clustering by cosine similarity\n", 1)[1]
    block = re.findall(r"```python\n(.*?)```", body.split("\n## ", 1)[0], flags=re.S)[0]
    exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})
    assert capsys.readouterr().out.split() == ["True", "True"]


def test_native_steps_check_every_extent() -> None:
    from quickmeans import _core

    X = directions(100, 4, 2, seed=25)
    with pytest.raises(ValueError, match="n_clusters=200"):
        _core.SphericalSteps64(X, None, 200, 1)
    with pytest.raises(ValueError, match="does not match"):
        _core.SphericalSteps64(X, np.ones(99), 2, 1)
    with pytest.raises(TypeError, match="C-contiguous"):
        _core.SphericalSteps32(X, None, 2, 1)  # float64 X for the float32 class
    steps = _core.SphericalSteps64(X, None, 2, 1)
    with pytest.raises(ValueError, match="made for 2 clusters"):
        steps.step(X[:3] / np.linalg.norm(X[:3], axis=1, keepdims=True))
    with pytest.raises(ValueError, match="different numbers of features"):
        steps.step(np.ones((2, 3)))
    with pytest.raises(TypeError):
        steps.step(np.ones((2, 4), dtype=np.float32))
    labels, sums, weights, changed = steps.step(X[:2] / np.linalg.norm(X[:2], axis=1,
                                                                       keepdims=True))
    assert changed == 100 and weights.sum() == 100 and sums.shape == (2, 4)


@pytest.mark.parametrize("index_dtype", [np.int32, np.int64])
@pytest.mark.parametrize("dtype", DTYPES)
def test_native_csr_steps_equal_stateless_steps_and_check_every_extent(dtype, index_dtype) -> None:
    # SphericalStepsCsr validates and norms the rows once and keeps its sums between steps:
    # every step must give the stateless step's labels and sums (same engine pass) from
    # centers that change, and the bindings must refuse what the engine would misread.
    from quickmeans import _core
    from quickmeans._sparse import CsrInput
    from quickmeans._spherical_step import SparseSteps, prepare_rows, spherical_step

    X = sparse_rows(900, 200, seed=27, dtype=dtype)
    X.indices = X.indices.astype(index_dtype)
    X.indptr = X.indptr.astype(index_dtype)
    data = CsrInput(X)
    w = np.random.default_rng(28).uniform(0.2, 2.0, X.shape[0])
    rows = prepare_rows(data, w)
    steps = _core.SphericalStepsCsr(*data.parts(), rows.engine_weights, 4, 2)
    sparse_steps = SparseSteps(data, rows, 4, 2)
    rng = np.random.default_rng(29)
    for _ in range(3):
        centers = rng.standard_normal((4, 200)).astype(dtype)
        centers /= np.linalg.norm(centers, axis=1, keepdims=True)
        labels, sums, weights, _ = steps.step(centers)
        expected = _core.assign_sums_csr(*data.parts(), rows.engine_weights, centers, 2)
        np.testing.assert_array_equal(labels, expected[0])
        np.testing.assert_array_equal(sums, expected[1])
        np.testing.assert_array_equal(weights, expected[2])
        kept, stateless = sparse_steps(centers), spherical_step(data, rows, centers, 2)
        np.testing.assert_array_equal(kept.labels, stateless.labels)
        np.testing.assert_array_equal(kept.sums, stateless.sums)
        assert kept.cosine_total == stateless.cosine_total
    with pytest.raises(ValueError, match="n_clusters=901"):
        _core.SphericalStepsCsr(*data.parts(), None, 901, 1)
    with pytest.raises(ValueError, match="does not match"):
        _core.SphericalStepsCsr(*data.parts(), np.ones(899), 2, 1)
    bad = X.indices.copy()
    bad[3] = 200
    with pytest.raises(ValueError, match="outside"):
        _core.SphericalStepsCsr(data.data, bad, data.indptr, 200, None, 2, 1)
    with pytest.raises(TypeError, match="matching dtypes"):
        _core.SphericalStepsCsr(data.data, data.indices, data.indptr.astype(np.int16), 200, None,
                                2, 1)
    with pytest.raises(ValueError, match="made for 4 clusters"):
        steps.step(np.ones((3, 200), dtype=dtype))
    with pytest.raises(ValueError, match="different numbers of features"):
        steps.step(np.ones((4, 199), dtype=dtype))
    with pytest.raises(TypeError):
        steps.step(np.ones((4, 200), dtype=np.float32 if dtype == np.float64 else np.float64))


def test_verbose_prints_a_non_increasing_objective(capsys) -> None:
    import re

    X = directions(800, 6, 4, seed=26, noise=1.0)
    model = SphericalKMeans(4, random_state=0, verbose=1, tol=0).fit(X)
    out = capsys.readouterr().out
    assert "Initialization complete" in out
    values = [float(v) for v in re.findall(r"Iteration \d+, inertia (\S+)\.$", out, re.M)]
    assert len(values) == model.n_iter_ >= 2
    assert all(b <= a * (1 + 1e-12) for a, b in zip(values, values[1:]))
    assert model.inertia_ <= values[-1] * (1 + 1e-12)


def test_fewer_rows_with_a_direction_than_clusters() -> None:
    # 3 directions among mostly zero rows, 5 clusters (scikit-learn 1.4's sparse-data check
    # draws such data): the seeds that land on zero rows copy a seed with a direction.
    from sklearn.exceptions import ConvergenceWarning

    X = np.zeros((20, 4))
    X[[2, 9, 15]] = [[1.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, 0, 3.0]]
    with pytest.warns(ConvergenceWarning, match="distinct clusters"):
        model = SphericalKMeans(5, random_state=0).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(np.linalg.norm(model.cluster_centers_, axis=1), 1.0)
    # Each row with a direction sits on its own center: its cosine there is 1.
    assigned = model.cluster_centers_[model.labels_[[2, 9, 15]]]
    np.testing.assert_allclose(np.einsum("ij,ij->i", assigned, X[[2, 9, 15]] /
                                         np.linalg.norm(X[[2, 9, 15]], axis=1)[:, None]), 1.0)
    assert model.inertia_ == pytest.approx(17.0)  # the 17 zero rows, at cosine 0
    with pytest.raises(ValueError, match="at least n_clusters=5 samples"):
        SphericalKMeans(5, init="random", random_state=0).fit(X)
