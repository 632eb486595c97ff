"""Clustering embedding vectors by cosine similarity with quickmeans.SphericalKMeans.

Sentence or image embeddings are compared by cosine: their direction carries the meaning,
their length mostly does not. Here the "embeddings" are synthetic (no download, no model):
unit vectors scattered around a few hidden topic directions in 256 dimensions, with norms
that vary as a real encoder's do. SphericalKMeans groups them by direction and its centers
are unit vectors, so ``x @ center`` is the cosine of a (normalised) query to a topic.

Run: ``python examples/embeddings.py``
"""

from __future__ import annotations

import numpy as np
from sklearn.metrics import adjusted_rand_score

from quickmeans import KMeans, SphericalKMeans


def make_embeddings(n: int = 20_000, d: int = 256, n_topics: int = 12, noise: float = 1.1,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(X float32 n x d, hidden topic of each row, the topic directions).

    Each row is its topic's direction plus isotropic noise (``noise`` is the noise's
    expected length relative to the direction), scaled by a random norm in [0.5, 4]."""
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((n_topics, d))
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    topic = rng.integers(0, n_topics, n)
    X = topics[topic] + noise * rng.standard_normal((n, d)) / np.sqrt(d)
    X *= rng.uniform(0.5, 4.0, (n, 1)) / np.linalg.norm(X, axis=1, keepdims=True)
    return X.astype(np.float32), topic, topics


def main() -> None:
    X, topic, topics = make_embeddings()
    n_topics = len(topics)
    print(f"{X.shape[0]} embeddings of dimension {X.shape[1]} ({X.dtype}), "
          f"norms {np.linalg.norm(X, axis=1).min():.2f}..{np.linalg.norm(X, axis=1).max():.2f}")

    model = SphericalKMeans(n_topics, random_state=0).fit(X)
    ari = adjusted_rand_score(topic, model.labels_)
    # 1.0 means the clusters are exactly the hidden topics (up to renaming).
    print(f"SphericalKMeans: adjusted Rand index vs the hidden topics: {ari:.3f} "
          f"({model.n_iter_} iterations)")
    unit = X / np.linalg.norm(X, axis=1, keepdims=True)
    cos = np.einsum("ij,ij->i", unit, model.cluster_centers_[model.labels_])
    print(f"  mean cosine to the assigned center: {cos.mean():.3f} "
          f"(= 1 - inertia_ / n: {1 - model.inertia_ / len(X):.3f})")
    # Each center points at one hidden topic: its best cosine with the true directions.
    match = model.cluster_centers_ @ topics.T
    print(f"  cosine of each center to its closest topic direction: "
          f"min {match.max(axis=1).min():.3f}, mean {match.max(axis=1).mean():.3f}")

    # Euclidean k-means on the raw vectors mixes length into the distance: long and short
    # vectors of one topic are far apart.
    raw = KMeans(n_topics, random_state=0).fit(X)
    raw_ari = adjusted_rand_score(topic, raw.labels_)
    print(f"KMeans on the raw vectors: adjusted Rand index {raw_ari:.3f}")

    # A query: a noisy vector of topic 3, at any length. predict uses its direction only.
    rng = np.random.default_rng(1)
    query = (topics[3] + 0.8 * rng.standard_normal(X.shape[1]) / np.sqrt(X.shape[1])) * 25.0
    cluster = int(model.predict(query[None].astype(np.float32))[0])
    members = np.flatnonzero(model.labels_ == cluster)
    print(f"query near topic 3 -> cluster {cluster}, whose members are "
          f"{np.mean(topic[members] == 3):.0%} topic 3; cosine distance to its center "
          f"{model.transform(query[None].astype(np.float32))[0, cluster]:.3f}")


if __name__ == "__main__":
    main()
