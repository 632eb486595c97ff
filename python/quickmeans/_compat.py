"""scikit-learn's base classes and exceptions when it is installed, small stand-ins otherwise.

With scikit-learn present, quickmeans estimators are real scikit-learn estimators (clone,
Pipeline, GridSearchCV, set_output, check_estimator); without it (or with
QUICKMEANS_SKLEARN=0 in the environment), `import quickmeans` needs only numpy.
"""

from __future__ import annotations

import inspect
import os
import re
from typing import Any

import numpy as np

try:
    # QUICKMEANS_SKLEARN=0 takes the stand-ins even where scikit-learn is installed: the
    # command line sets it (it needs none of scikit-learn, whose import costs seconds).
    if os.environ.get("QUICKMEANS_SKLEARN") == "0":
        raise ImportError("QUICKMEANS_SKLEARN=0")
    from sklearn import __version__ as _sklearn_version
    from sklearn.base import (
        BaseEstimator,
        ClassNamePrefixFeaturesOutMixin,
        ClusterMixin,
        TransformerMixin,
    )
    from sklearn.exceptions import ConvergenceWarning, NotFittedError

    HAVE_SKLEARN = True
    # (major, minor): tags and expected check failures are declared differently before 1.6.
    _major, _minor = re.match(r"(\d+)\.(\d+)", _sklearn_version).groups()  # type: ignore[union-attr]
    SKLEARN_VERSION: tuple[int, int] = (int(_major), int(_minor))
except ImportError:  # tests/test_cli.py runs the command line this way
    HAVE_SKLEARN = False
    SKLEARN_VERSION = (0, 0)

    class NotFittedError(ValueError, AttributeError):  # type: ignore[no-redef]
        """Raised when an estimator is used before it is fitted."""

    class ConvergenceWarning(UserWarning):  # type: ignore[no-redef]
        """Warning about the convergence of a fit."""

    class BaseEstimator:  # type: ignore[no-redef]
        """get_params/set_params/repr from the constructor's signature, as scikit-learn does."""

        @classmethod
        def _get_param_names(cls) -> list[str]:
            signature = inspect.signature(cls.__init__)
            return sorted(
                p.name
                for p in signature.parameters.values()
                if p.name != "self" and p.kind != p.VAR_KEYWORD
            )

        def get_params(self, deep: bool = True) -> dict[str, Any]:
            return {name: getattr(self, name) for name in self._get_param_names()}

        def set_params(self, **params: Any) -> BaseEstimator:
            valid = self._get_param_names()
            for key, value in params.items():
                if key not in valid:
                    raise ValueError(
                        f"Invalid parameter {key!r} for estimator {self}. "
                        f"Valid parameters are: {valid!r}."
                    )
                setattr(self, key, value)
            return self

        def __repr__(self) -> str:
            signature = inspect.signature(type(self).__init__)
            changed = []
            for name in self._get_param_names():
                default = signature.parameters[name].default
                value = getattr(self, name)
                same = value is default or (
                    not isinstance(value, np.ndarray) and _safe_equal(value, default)
                )
                if not same:
                    changed.append(f"{name}={value!r}")
            return f"{type(self).__name__}({', '.join(changed)})"

    class ClusterMixin:  # type: ignore[no-redef]
        def fit_predict(self, X: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
            self.fit(X, **kwargs)  # type: ignore[attr-defined]
            return self.labels_  # type: ignore[attr-defined]

    class TransformerMixin:  # type: ignore[no-redef]
        def fit_transform(self, X: Any, y: Any = None, **kwargs: Any) -> np.ndarray:
            return self.fit(X, **kwargs).transform(X)  # type: ignore[attr-defined]

    class ClassNamePrefixFeaturesOutMixin:  # type: ignore[no-redef]
        def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
            prefix = type(self).__name__.lower()
            n_out = self._n_features_out  # type: ignore[attr-defined]
            return np.asarray([f"{prefix}{i}" for i in range(n_out)], dtype=object)


def _safe_equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except Exception:
        return False


__all__ = [
    "HAVE_SKLEARN",
    "BaseEstimator",
    "ClassNamePrefixFeaturesOutMixin",
    "ClusterMixin",
    "ConvergenceWarning",
    "NotFittedError",
    "SKLEARN_VERSION",
    "TransformerMixin",
]
