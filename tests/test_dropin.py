"""Drop-in details found by running scikit-learn's own test file against quickmeans: what
verbose prints, what a callable init is handed, the dtype transform returns, and
MiniBatchKMeans' default init_size. scikit-learn, run on the same data, is the oracle."""

from __future__ import annotations

import contextlib
import io
import re

import numpy as np
import pytest
from scipy import sparse
from sklearn import cluster as skc

import quickmeans
from conftest import make_blobs

# -- verbose ---------------------------------------------------------------------------------

NUMBER = re.compile(r"\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def printed(model, X, **fit) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        model.fit(X, **fit)
    return out.getvalue()


def shape_and_numbers(text: str) -> tuple[list[str], list[float]]:
    """The lines with every number replaced by '#', and the numbers."""
    lines = text.splitlines()
    return [NUMBER.sub("#", line) for line in lines], [float(v) for v in NUMBER.findall(text)]


def assert_same_verbose_output(ours: str, theirs: str, rel: float = 1e-7) -> None:
    our_lines, our_numbers = shape_and_numbers(ours)
    their_lines, their_numbers = shape_and_numbers(theirs)
    assert our_lines == their_lines, (ours, theirs)
    assert our_numbers == pytest.approx(their_numbers, rel=rel), (ours, theirs)


# (data, parameters, the stop line scikit-learn prints): each way a run can end.
UNIFORM = np.random.RandomState(0).uniform(size=(2000, 2))  # slow: stops on the tolerance
BLOBS = make_blobs(1500, 3, 4, seed=60, spread=0.5)  # fast: labels stop changing
VERBOSE_CASES = {
    "tol": (UNIFORM, dict(n_clusters=20, random_state=0), "center shift"),
    "strict": (BLOBS, dict(n_clusters=4, random_state=0), "strict convergence"),
    "max_iter": (UNIFORM, dict(n_clusters=20, random_state=0, max_iter=4), None),
    "elkan": (UNIFORM, dict(n_clusters=20, random_state=1, algorithm="elkan"),
              "strict convergence"),
    "random-n_init": (BLOBS, dict(n_clusters=4, init="random", n_init=3, random_state=2),
                      "strict convergence"),
    "sparse": (sparse.csr_matrix(np.where(UNIFORM > 0.5, UNIFORM, 0.0)),
               dict(n_clusters=8, random_state=0), "center shift"),
}


@pytest.mark.parametrize("case", VERBOSE_CASES)
def test_verbose_prints_sklearns_lines_and_numbers(case) -> None:
    X, params, stop = VERBOSE_CASES[case]
    theirs = printed(skc.KMeans(verbose=1, **params), X)
    ours = printed(quickmeans.KMeans(verbose=1, **params), X)
    n_init = params.get("n_init", 1)
    assert theirs.count("Initialization complete") == n_init
    if stop is None:
        assert "Converged" not in theirs
    else:
        assert theirs.count(stop) >= 1  # the case ends the way it is meant to
    assert_same_verbose_output(ours, theirs)


@pytest.mark.parametrize("case", VERBOSE_CASES)
def test_verbose_fit_is_the_quiet_fit(case) -> None:
    # The verbose path steps the engine one iteration at a time: the same run, bit for bit.
    X, params, _ = VERBOSE_CASES[case]
    loud, quiet = quickmeans.KMeans(verbose=1, **params), quickmeans.KMeans(**params)
    printed(loud, X)
    quiet.fit(X)
    np.testing.assert_array_equal(loud.labels_, quiet.labels_)
    np.testing.assert_array_equal(loud.cluster_centers_, quiet.cluster_centers_)
    assert loud.inertia_ == quiet.inertia_
    assert loud.n_iter_ == quiet.n_iter_


def test_verbose_iteration_inertia_is_against_the_centers_before_the_update() -> None:
    # Hand-checked: from the given init, iteration 0 prints the inertia of the init itself.
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    init = np.array([[1.0], [10.0]])  # labels [0, 0, 1, 1]: inertia 1 + 0 + 0 + 1 = 2
    out = printed(quickmeans.KMeans(2, init=init, n_init=1, verbose=1), X)
    assert out.splitlines() == [
        "Initialization complete",
        "Iteration 0, inertia 2.0.",  # then the centers move to 0.5 and 10.5
        "Iteration 1, inertia 1.0.",
        "Converged at iteration 1: strict convergence.",
    ]


def test_verbose_keeps_calling_the_progress_hook() -> None:
    # The command line's progress hook is called once per iteration, verbose or not; with
    # verbose, with the inertia printed for that iteration.
    X, params, _ = VERBOSE_CASES["tol"]
    seen: dict[bool, list[tuple[int, float]]] = {True: [], False: []}
    out = ""
    for verbose in (True, False):
        model = quickmeans.KMeans(verbose=verbose, **params)
        model._progress = lambda i, inertia, v=verbose: seen[v].append((i, inertia))
        out = printed(model, X) or out
    assert [i for i, _ in seen[True]] == [i for i, _ in seen[False]]
    shown = [float(v) for v in re.findall(r"inertia (\S+)\.$", out, re.M)]
    assert [inertia for _, inertia in seen[True]] == shown


# -- callable init ---------------------------------------------------------------------------


def recording_init(seen: list):
    """An init callable that keeps a copy of what it is given and returns its first rows."""

    def init(X, n_clusters, random_state):
        seen.append((X.copy(), n_clusters, type(random_state)))
        # A copy: scikit-learn runs its iterations in the array returned, so a view of X
        # would change the X that its next init sees.
        first = X[:n_clusters]
        return first.toarray() if sparse.issparse(first) else first.copy()

    return init


def as_dense(X) -> np.ndarray:
    return X.toarray() if sparse.issparse(X) else X


INPUTS = {
    "float64": lambda X: X,
    "float32": lambda X: X.astype(np.float32),
    "int64": lambda X: np.rint(X * 10).astype(np.int64),
    "fortran": lambda X: np.asfortranarray(X),
    "csr": lambda X: sparse.csr_matrix(np.where(X > 0, X, 0.0)),
}


@pytest.mark.parametrize("kind", INPUTS)
def test_callable_init_gets_the_data_sklearn_gives_it(kind) -> None:
    # scikit-learn hands the callable X after validation, with dense X centered on its
    # column means (it clusters in that frame), and shifts the centers back at the end.
    X = INPUTS[kind](make_blobs(400, 3, 4, seed=61, box=50.0))
    ours_seen: list = []
    theirs_seen: list = []
    ours = quickmeans.KMeans(4, init=recording_init(ours_seen), n_init=2, random_state=0).fit(X)
    theirs = skc.KMeans(4, init=recording_init(theirs_seen), n_init=2, random_state=0).fit(X)
    assert len(ours_seen) == len(theirs_seen) == 2
    for (our_x, our_k, our_rs), (their_x, their_k, their_rs) in zip(ours_seen, theirs_seen):
        assert sparse.issparse(our_x) == sparse.issparse(their_x)
        assert our_x.dtype == their_x.dtype and our_x.shape == their_x.shape
        np.testing.assert_array_equal(as_dense(our_x), as_dense(their_x))
        assert (our_k, our_rs) == (their_k, their_rs)
    if not sparse.issparse(X):
        assert abs(ours_seen[0][0].mean(axis=0)).max() < 1e-3  # the centered frame
    # The centers come back in X's own frame: the same clustering as scikit-learn's.
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    rtol = 1e-5 if ours.cluster_centers_.dtype == np.float32 else 1e-10
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=rtol)
    assert ours.cluster_centers_.dtype == theirs.cluster_centers_.dtype


def test_callable_init_centers_are_shifted_back_by_the_mean() -> None:
    # Hand-checked: X's column means are (5, 100); an init returning the centered frame's
    # origin twice over starts both centers at the mean of X, in X's own frame.
    X = np.array([[0.0, 100.0], [10.0, 100.0], [5.0, 90.0], [5.0, 110.0]])

    def init(data, n_clusters, random_state):
        np.testing.assert_array_equal(data, X - [5.0, 100.0])
        return np.array([[0.0, 0.0], [1.0, 0.0]])

    model = quickmeans.KMeans(2, init=init, n_init=1, max_iter=1).fit(X)
    # From (5, 100) and (6, 100): row 1 goes to the second center, the rest to the first.
    np.testing.assert_array_equal(model.labels_, [0, 1, 0, 0])
    np.testing.assert_allclose(model.cluster_centers_, [[10 / 3, 100.0], [10.0, 100.0]])


def test_callable_init_never_modifies_x() -> None:
    X = make_blobs(200, 3, 3, seed=62)
    before = X.copy()
    quickmeans.KMeans(3, init=lambda data, k, random_state: data[:k], n_init=1).fit(X)
    np.testing.assert_array_equal(X, before)


# -- transform, predict and score with X in the other float dtype ----------------------------


def exact_distances(X: np.ndarray, centers: np.ndarray) -> np.ndarray:
    diff = X.astype(np.float64)[:, None, :] - centers.astype(np.float64)[None, :, :]
    return np.sqrt((diff ** 2).sum(axis=-1))


@pytest.mark.parametrize("sparse_input", [False, True], ids=["dense", "csr"])
@pytest.mark.parametrize(("fit_dtype", "test_dtype"), [(np.float64, np.float32),
                                                       (np.float32, np.float64)])
def test_transform_dtype_is_sklearns_for_mixed_dtypes(fit_dtype, test_dtype,
                                                      sparse_input) -> None:
    X = make_blobs(600, 4, 5, seed=63, dtype=fit_dtype)
    init = X[:5]
    ours = quickmeans.KMeans(5, init=init, n_init=1).fit(X)
    theirs = skc.KMeans(5, init=init, n_init=1).fit(X)
    X_new = make_blobs(300, 4, 5, seed=64, dtype=test_dtype)
    if sparse_input:
        X_new = sparse.csr_matrix(np.where(X_new > 0, X_new, 0).astype(test_dtype))
    distances = ours.transform(X_new)
    # scikit-learn's euclidean_distances: float32 only when X and the centers both are.
    assert distances.dtype == theirs.transform(X_new).dtype == np.float64
    # ...and computed in float64 from the model's own centers (not centers rounded to X's
    # float32, which would be off by ~1e-7).
    expected = exact_distances(as_dense(X_new), ours.cluster_centers_)
    np.testing.assert_allclose(distances, expected, rtol=1e-12, atol=1e-12)
    # predict and score (where scikit-learn raises "Buffer dtype mismatch") give the labels
    # and inertia of those distances.
    np.testing.assert_array_equal(ours.predict(X_new), expected.argmin(axis=1))
    assert ours.score(X_new) == pytest.approx(-(expected.min(axis=1) ** 2).sum(), rel=1e-6)


def test_transform_keeps_float32_when_both_are_float32() -> None:
    X = make_blobs(300, 3, 3, seed=65, dtype=np.float32)
    ours = quickmeans.KMeans(3, init=X[:3], n_init=1).fit(X)
    theirs = skc.KMeans(3, init=X[:3], n_init=1).fit(X)
    assert ours.transform(X).dtype == theirs.transform(X).dtype == np.float32


# -- MiniBatchKMeans' default init_size ------------------------------------------------------


def test_minibatch_default_init_size_is_sklearns() -> None:
    # batch_size < n_clusters <= 3 * batch_size: scikit-learn seeds on 3 * batch_size = 60
    # samples (not 3 * n_clusters = 90), drawn from the same random_state.
    X = make_blobs(3000, 4, 30, seed=66)
    params = dict(n_clusters=30, batch_size=20, n_init=1, max_iter=1, random_state=5)
    ours_seen: list = []
    theirs_seen: list = []
    MiniBatch = quickmeans.MiniBatchKMeans
    MiniBatch(init=recording_init(ours_seen), **params).fit(X)
    skc.MiniBatchKMeans(init=recording_init(theirs_seen), **params).fit(X)
    assert theirs_seen[0][0].shape == (60, 4)
    np.testing.assert_array_equal(ours_seen[0][0], theirs_seen[0][0])
    # Where 3 * batch_size < n_clusters, both raise it to 3 * n_clusters.
    small = dict(params, batch_size=5)
    ours_seen.clear()
    theirs_seen.clear()
    MiniBatch(init=recording_init(ours_seen), **small).fit(X)
    skc.MiniBatchKMeans(init=recording_init(theirs_seen), **small).fit(X)
    assert theirs_seen[0][0].shape == (90, 4)
    np.testing.assert_array_equal(ours_seen[0][0], theirs_seen[0][0])
