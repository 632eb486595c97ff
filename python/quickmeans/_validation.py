"""Input validation: done once, in Python, before anything reaches the engine.

Everything the engine receives is a C-contiguous float32/float64 array with finite values,
and nothing the user passed in is modified: arrays are converted (copied) only when their
dtype or layout demands it.
"""

from __future__ import annotations

import numbers
import os
import warnings
from typing import Any

import numpy as np

from quickmeans import _core
from quickmeans._compat import NotFittedError

FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


class InvalidParameterError(ValueError, TypeError):
    """A constructor parameter has a wrong type or value (raised at fit time)."""


def is_sparse(X: Any) -> bool:
    """True for scipy.sparse matrices and arrays, detected without importing scipy."""
    return type(X).__module__.startswith("scipy.sparse") or hasattr(X, "tocsr")


def _reshape_hint(X: Any, kind: str) -> str:
    return (
        f"Expected 2D array, got {kind} array instead:\narray={X!r}.\n"
        "Reshape your data either using array.reshape(-1, 1) if your data has a single "
        "feature or array.reshape(1, -1) if it contains a single sample."
    )


def _pandas_extension_as_float(X: Any, dtype: np.dtype | None) -> Any:
    """A pandas frame or series whose columns are numeric but not all NumPy dtypes (nullable
    Float64/Int64/boolean, pyarrow's double[pyarrow], what convert_dtypes() and
    read_csv(dtype_backend="pyarrow") give) as a float ndarray with pd.NA as NaN, so that a
    missing value is reported as NaN (NumPy's conversion fails on pd.NA with a TypeError).
    Anything else is returned as is. pandas is already imported when X is one of its objects."""
    if not type(X).__module__.startswith("pandas") or not hasattr(X, "to_numpy"):
        return X
    dtypes = list(X.dtypes) if hasattr(X, "columns") else [getattr(X, "dtype", None)]
    if all(isinstance(dt, np.dtype) for dt in dtypes):
        return X  # NumPy columns: np.asarray already gives their values (and NaN)
    from pandas.api.types import is_numeric_dtype

    if not dtypes or not all(is_numeric_dtype(dt) for dt in dtypes):
        return X
    if dtype is None:  # as for NumPy input: float32 stays float32, the rest becomes float64
        common = np.result_type(*[np.dtype(getattr(dt, "numpy_dtype", dt)) for dt in dtypes])
        dtype = common if common in FLOAT_DTYPES else np.dtype(np.float64)
    return X.to_numpy(dtype=dtype, na_value=np.nan)


def as_float_array(X: Any, *, name: str = "X", dtype: np.dtype | None = None) -> np.ndarray:
    """X as an array of float32 or float64 (other numeric dtypes become float64)."""
    if is_sparse(X):
        raise TypeError(f"{name} must be a dense array; a sparse matrix is accepted only as X.")
    X = np.asarray(_pandas_extension_as_float(X, dtype))
    if np.iscomplexobj(X):
        raise ValueError(f"Complex data not supported\n{X!r}\n")
    if dtype is not None:
        target = np.dtype(dtype)
    elif X.dtype.newbyteorder("=") in FLOAT_DTYPES:
        # Compared in native byte order: a big-endian float32 ('>f4') is still float32 data
        # (dtype equality includes the byte order, so '>f4' would otherwise become float64).
        target = X.dtype.newbyteorder("=")
    elif X.dtype.kind in "biuf" or X.dtype == object:
        target = np.dtype(np.float64)
    elif X.dtype.kind in "US":
        raise ValueError(f"{name} contains strings; k-means needs numeric data.")
    else:
        raise TypeError(f"{name} has dtype {X.dtype}, which is not numeric.")
    if X.dtype != target:
        X = X.astype(target)  # object arrays raise numpy's clear TypeError/ValueError here
    return X


def check_array(
    X: Any,
    *,
    name: str = "X",
    estimator: str = "KMeans",
    dtype: np.dtype | None = None,
    n_threads: int = 1,
    finite: bool = True,
) -> np.ndarray:
    """A finite, non-empty, 2-D, C-contiguous float32/float64 array; no copy when X is one.
    finite=False leaves the NaN/inf check to the caller (the engine's predict does it)."""
    X = as_float_array(X, name=name, dtype=dtype)
    if X.ndim == 0:
        raise ValueError(_reshape_hint(X, "scalar"))
    if X.ndim == 1:
        raise ValueError(_reshape_hint(X, "1D"))
    if X.ndim > 2:
        raise ValueError(f"Found array with dim {X.ndim}. {estimator} expected <= 2.")
    if X.shape[0] < 1:
        raise ValueError(
            f"Found array with 0 sample(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {estimator}."
        )
    if X.shape[1] < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={X.shape}) while a minimum of 1 is "
            f"required by {estimator}."
        )
    X = np.require(X, requirements=["C_CONTIGUOUS", "ALIGNED"])
    if finite:
        check_finite(X, name=name, n_threads=n_threads)
    return X


def check_data(
    X: Any,
    *,
    estimator: str = "KMeans",
    dtype: np.dtype | None = None,
    n_threads: int = 1,
    finite: bool = True,
) -> Any:
    """Samples for the engine: check_array's result, or for scipy.sparse input a CsrInput
    (whose few stored values are always checked)."""
    if is_sparse(X):
        from quickmeans._sparse import check_csr

        return check_csr(X, estimator=estimator, dtype=dtype, n_threads=n_threads)
    return check_array(X, estimator=estimator, dtype=dtype, n_threads=n_threads, finite=finite)


def magnitude_limit(n_features: int) -> float:
    """The largest |value| for which every squared distance between n_features-dimensional
    points is finite in float64 (the engine's arithmetic): n_features * (2 M)**2 <= max.
    Only float64 data can exceed it (float32 values are below 3.5e38). The engine's own
    figure, which its predict checks rows against."""
    return _core.magnitude_limit(n_features)


def check_finite(X: np.ndarray, *, name: str = "X", n_threads: int = 1,
                 n_features: int | None = None) -> None:
    """Raises for NaN, infinity, or values whose squared distances would overflow (they would
    give infinite inertia and arbitrary labels rather than a clear error)."""
    d = X.shape[-1] if n_features is None else n_features
    limit = magnitude_limit(d)
    if _core.all_finite(X, n_threads, limit):
        return
    if np.isnan(X).any():
        raise ValueError(f"Input {name} contains NaN.")
    if np.isinf(X).any():
        raise ValueError(f"Input {name} contains infinity or a value too large for "
                         f"{X.dtype!r}.")
    raise ValueError(
        f"Input {name} contains values too large for k-means (|value| up to "
        f"{float(np.abs(X).max()):.3g}; the limit for {d} features is {limit:.3g}): squared "
        "distances would overflow float64. Rescale the data, e.g. divide it by its largest "
        "absolute value."
    )


def check_centers(centers: Any, n_features: int, dtype: np.dtype, *,
                  name: str = "cluster_centers_") -> np.ndarray:
    """A fitted model's centers as the engine uses them against X of n_features columns: a
    C-contiguous (n_clusters >= 1, n_features) array of X's dtype, finite and within the
    magnitude limit. Centers can be set by hand or loaded from a file, so they are checked
    on every use (O(k d)); NaN centers would otherwise give all-zero labels or a NaN score."""
    with np.errstate(over="ignore"):  # float64 centers beyond float32's range: reported below
        centers = np.ascontiguousarray(centers, dtype=dtype)
    if centers.ndim != 2 or centers.shape[0] < 1 or centers.shape[1] != n_features:
        raise ValueError(
            f"{name} has shape {centers.shape} but X has {n_features} features: expected "
            f"shape (n_clusters, {n_features}) with n_clusters >= 1."
        )
    check_finite(centers, name=name)
    return centers


def check_sample_weight(sample_weight: Any, n_samples: int) -> np.ndarray | None:
    """A fresh float64 array of n_samples non-negative weights, or None for unit weights."""
    if sample_weight is None:
        return None
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, sample_weight, dtype=np.float64)
    else:
        sample_weight = np.array(as_float_array(sample_weight, name="sample_weight"),
                                 dtype=np.float64, order="C")
    if sample_weight.ndim != 1:
        raise ValueError("Sample weights must be 1D array or scalar")
    if sample_weight.shape != (n_samples,):
        raise ValueError(
            f"sample_weight.shape == {sample_weight.shape}, expected {(n_samples,)}!"
        )
    if not np.isfinite(sample_weight).all():
        raise ValueError("Input sample_weight contains NaN or infinity.")
    with np.errstate(over="ignore"):  # reported below, not as a NumPy warning
        total = sample_weight.sum()
    if not np.isfinite(total):  # the weighted means would be NaN
        raise ValueError("The sum of sample_weight overflows float64; rescale the weights.")
    if (sample_weight < 0).any():
        raise ValueError("Negative values in data passed to sample_weight")
    if not total > 0:
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return sample_weight


def resolve_n_threads(n_threads: Any) -> int:
    """None: OpenMP's current limit (honours threadpoolctl); -1: all cores; else as given, at
    most the engine's thread_limit() (the processors, or OpenMP's limit when higher): more
    threads than that would only cost memory, and any int is accepted (10**6, 2**63)."""
    if n_threads is None:
        return max(1, int(_core.max_threads()))
    if isinstance(n_threads, numbers.Integral) and not isinstance(n_threads, bool):
        if n_threads == -1:
            return os.cpu_count() or 1
        if n_threads >= 1:
            return min(int(n_threads), int(_core.thread_limit()))
    raise InvalidParameterError(
        f"n_threads must be None, -1 or a positive int. Got {n_threads!r} instead."
    )


def check_random_state(seed: Any) -> np.random.RandomState:
    """The RandomState scikit-learn would use for `seed` (same streams, same results)."""
    if seed is None or seed is np.random:
        return np.random.mtrand._rand
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.RandomState(int(seed))
    if isinstance(seed, np.random.RandomState):
        return seed
    raise ValueError(f"{seed!r} cannot be used to seed a numpy.random.RandomState instance")


def check_int_param(value: Any, name: str, owner: str, low: int, *,
                    none: bool = False) -> Any:
    """int(value) when it is an int >= low (or None when none=True and value is None), else
    scikit-learn's InvalidParameterError."""
    if none and value is None:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= low:
        return int(value)
    raise InvalidParameterError(
        f"The '{name}' parameter of {owner} must be an int in the range [{low}, inf)"
        f"{' or None' if none else ''}. Got {value!r} instead."
    )


def check_real_param(value: Any, name: str, owner: str, low: float) -> float:
    if isinstance(value, numbers.Real) and not isinstance(value, bool) and value >= low:
        return float(value)
    raise InvalidParameterError(
        f"The '{name}' parameter of {owner} must be a float in the range [{low}, inf). "
        f"Got {value!r} instead."
    )


# --- feature names and counts, as scikit-learn's validate_data handles them ---------------


def feature_names_of(X: Any) -> np.ndarray | None:
    """Column names of a dataframe when they are all strings, else None."""
    columns = getattr(X, "columns", None)
    if columns is None or not hasattr(X, "dtypes"):
        return None
    names = np.asarray(list(columns), dtype=object)
    kinds = sorted({type(n).__name__ for n in names})
    if len(kinds) > 1 and "str" in kinds:
        raise TypeError(
            "Feature names are only supported if all input features have string names, "
            f"but your input has {kinds} as feature name / column name types. If you want "
            "feature names to be stored and validated, you must convert them all to strings, "
            "by using X.columns = X.columns.astype(str) for example. Otherwise you can remove "
            "feature / column names from your input data, or convert them all to a non-string "
            "data type."
        )
    if len(names) == 0 or kinds != ["str"]:
        return None
    return names


def record_features(estimator: Any, X_raw: Any, X: np.ndarray) -> None:
    """Remember n_features_in_ and feature_names_in_ at fit time."""
    estimator.n_features_in_ = X.shape[1]
    names = feature_names_of(X_raw)
    if names is not None:
        estimator.feature_names_in_ = names
    elif hasattr(estimator, "feature_names_in_"):
        del estimator.feature_names_in_


def check_features(estimator: Any, X_raw: Any, X: np.ndarray) -> None:
    """Check that X has the features seen at fit time (names warn or raise, counts raise)."""
    cls = type(estimator).__name__
    fitted = getattr(estimator, "feature_names_in_", None)
    names = feature_names_of(X_raw)
    if names is not None and fitted is None:
        warnings.warn(f"X has feature names, but {cls} was fitted without feature names",
                      UserWarning, stacklevel=3)
    elif names is None and fitted is not None:
        warnings.warn(f"X does not have valid feature names, but {cls} was fitted with feature "
                      "names", UserWarning, stacklevel=3)
    elif names is not None and fitted is not None and (
        len(names) != len(fitted) or np.any(names != fitted)
    ):
        unseen = [n for n in names if n not in set(fitted)]
        missing = [n for n in fitted if n not in set(names)]
        message = "The feature names should match those that were passed during fit.\n"
        if unseen:
            message += "Feature names unseen at fit time:\n" + "".join(f"- {n}\n" for n in unseen)
        if missing:
            message += "Feature names seen at fit time, yet now missing:\n" + "".join(
                f"- {n}\n" for n in missing
            )
        if not unseen and not missing:
            message += "Feature names must be in the same order as they were in fit.\n"
        raise ValueError(message)
    if X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {cls} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


def check_is_fitted(estimator: Any, attribute: str = "cluster_centers_") -> None:
    if not hasattr(estimator, attribute):
        raise NotFittedError(
            f"This {type(estimator).__name__} instance is not fitted yet. Call 'fit' with "
            "appropriate arguments before using this estimator."
        )
