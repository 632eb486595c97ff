"""Content-based recommendations: TF-IDF vectors of short texts, clustered with quickmeans.

The classic "movie overview" recipe: turn every overview into a TF-IDF vector, group the
catalogue with k-means, and answer a few keywords with the closest titles of the cluster
the keywords fall into. The catalogue is generated here from a seeded RNG (no download):
a few hundred overviews written from the vocabulary of six hidden genres, with some
cross-genre noise, so that the clusters mean something and can be checked against the
genres, which the clustering never sees.

TfidfVectorizer returns a scipy.sparse CSR matrix; quickmeans.SphericalKMeans clusters it
by cosine similarity as it is (no dense copy of X), and its centers are dense unit vectors.

Run: ``python examples/text_recommendations.py``
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import adjusted_rand_score

from quickmeans import SphericalKMeans

# Every genre fills the same sentence templates with its own roles, things and places;
# the verbs and the filler words are shared, so they carry no genre signal (low IDF).
GENRES: dict[str, dict[str, list[str]]] = {
    "space": {
        "role": ["astronaut", "starship captain", "cosmonaut", "space engineer", "alien"],
        "thing": ["rocket", "space station", "asteroid", "alien signal", "wormhole"],
        "place": ["a Mars colony", "a lunar base", "orbit", "a distant galaxy", "deep space"],
    },
    "crime": {
        "role": ["detective", "mob boss", "getaway driver", "corrupt cop", "hitman"],
        "thing": ["heist", "murder case", "stolen diamonds", "drug cartel", "ransom"],
        "place": ["the harbour", "the police precinct", "the underworld", "a casino", "Chicago"],
    },
    "romance": {
        "role": ["bride", "widow", "poet", "lovesick florist", "charming stranger"],
        "thing": ["love letter", "wedding", "first kiss", "engagement ring", "secret romance"],
        "place": ["Paris", "a seaside village", "a vineyard", "a flower shop", "Venice"],
    },
    "sports": {
        "role": ["quarterback", "boxer", "coach", "striker", "rookie pitcher"],
        "thing": ["championship", "final match", "trophy", "comeback season", "title fight"],
        "place": ["the stadium", "the boxing ring", "the league", "the Olympics", "the arena"],
    },
    "cooking": {
        "role": ["chef", "baker", "sommelier", "food critic", "pastry cook"],
        "thing": ["recipe", "restaurant", "cooking contest", "perfect souffle", "bakery"],
        "place": ["the kitchen", "a bistro", "Naples", "the market", "a food truck"],
    },
    "horror": {
        "role": ["ghost", "vampire", "exorcist", "zombie", "witch"],
        "thing": ["haunted house", "curse", "demon", "blood ritual", "cursed doll"],
        "place": ["the cemetery", "an abandoned asylum", "the woods", "a crypt", "Transylvania"],
    },
}
TEMPLATES = [
    "A young {role} {verb} the {thing} in {place}.",
    "In {place}, {a_role} {verb} the {thing} with {a_role2}.",
    "Years later, {a_role} {verb} {a_thing} far from {place}.",
    "The story of {a_role} who {verb} the {thing} and finds a new life.",
]
VERBS = ["discovers", "fights for", "chases", "loses", "protects", "dreams of", "hides"]
TITLE_WORDS = ["Last", "Dark", "Silent", "Golden", "Broken", "Secret", "Long", "Final"]


@dataclass(frozen=True)
class Movie:
    title: str
    genre: str  # hidden from the clustering: only used to check it and to display
    overview: str


def with_article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def sentence(rng: np.random.Generator, genre: str) -> str:
    vocab = GENRES[genre]
    role, role2 = (str(r) for r in rng.choice(vocab["role"], size=2, replace=False))
    thing = str(rng.choice(vocab["thing"]))
    return str(rng.choice(TEMPLATES)).format(
        role=role, a_role=with_article(role), a_role2=with_article(role2), thing=thing,
        a_thing=with_article(thing), place=rng.choice(vocab["place"]), verb=rng.choice(VERBS),
    )


def make_catalogue(n_per_genre: int = 60, seed: int = 0) -> list[Movie]:
    """Two sentences from the movie's genre and, for one movie in four, one from another."""
    rng = np.random.default_rng(seed)
    genres = list(GENRES)
    movies = []
    for genre in genres:
        for _ in range(n_per_genre):
            parts = [sentence(rng, genre), sentence(rng, genre)]
            if rng.random() < 0.25:  # a crime story with a chef in it: clusters are not trivial
                other = str(rng.choice([g for g in genres if g != genre]))
                parts.insert(int(rng.integers(0, 3)), sentence(rng, other))
            thing = str(rng.choice(GENRES[genre]["thing"])).title()
            title = f"The {rng.choice(TITLE_WORDS)} {thing} ({rng.integers(1960, 2025)})"
            movies.append(Movie(title, genre, " ".join(parts)))
    return movies


@dataclass(frozen=True)
class Recommendation:
    similarity: float
    movie: Movie


class Recommender:
    """TF-IDF + k-means over a catalogue; recommends within the cluster of the query."""

    def __init__(self, movies: list[Movie], n_clusters: int, seed: int = 0) -> None:
        self.movies = movies
        # Stop words go; the filler every genre shares gets a low IDF, so genre words weigh
        # most. A dot product of rows is a cosine similarity (they come out L2-normalised).
        self.vectorizer = TfidfVectorizer(stop_words="english")
        self.X: sparse.csr_matrix = self.vectorizer.fit_transform([m.overview for m in movies])
        # Spherical k-means clusters by that same cosine, and its centers stay unit vectors
        # (Euclidean k-means' means shrink towards 0 and mix length into the distance). A few
        # k-means++ restarts: one unlucky start can merge two genres.
        self.kmeans = SphericalKMeans(n_clusters, n_init=5, random_state=seed).fit(self.X)
        self.labels: np.ndarray = self.kmeans.labels_

    def top_terms(self, cluster: int, n: int = 6) -> list[str]:
        """The heaviest terms of a center: what the cluster is about."""
        terms = self.vectorizer.get_feature_names_out()
        return [str(t) for t in terms[np.argsort(self.kmeans.cluster_centers_[cluster])[::-1][:n]]]

    def recommend(self, keywords: str, top: int = 5) -> tuple[int, list[Recommendation]]:
        """(cluster of the keywords, its ``top`` movies ranked by cosine similarity to them).

        Ranked by similarity to the query rather than by closeness to the center: the
        center would give every query that lands in a cluster the same list, while the
        query's own words ("rocket" vs "alien") should reorder the cluster. The cluster
        still does its job: it keeps a movie that merely mentions a query word, in a
        sentence from another genre, out of the results.
        """
        query = self.vectorizer.transform([keywords])
        if query.nnz == 0:  # no known word: every cluster would be equally (un)related
            return -1, []
        cluster = int(self.kmeans.predict(query)[0])
        members = np.flatnonzero(self.labels == cluster)
        similarity = (self.X[members] @ query.T).toarray().ravel()
        order = np.argsort(-similarity, kind="stable")[:top]
        return cluster, [Recommendation(float(similarity[j]), self.movies[members[j]])
                         for j in order]


def main() -> None:
    movies = make_catalogue()
    rec = Recommender(movies, n_clusters=len(GENRES))
    n, d = rec.X.shape
    print(f"{n} overviews -> TF-IDF {type(rec.X).__name__} {n} x {d}, "
          f"{rec.X.nnz / (n * d):.1%} non-zero")
    genres = [m.genre for m in movies]
    # 1.0 means the clusters are exactly the hidden genres (up to renaming).
    print(f"adjusted Rand index of the clusters vs the hidden genres: "
          f"{adjusted_rand_score(genres, rec.labels):.3f}\n")

    print("Top terms per cluster:")
    for c in range(rec.kmeans.n_clusters):
        members = [g for g, label in zip(genres, rec.labels) if label == c]
        majority = max(set(members), key=members.count)
        print(f"  cluster {c} ({len(members)} movies, mostly {majority}): "
              + ", ".join(rec.top_terms(c)))

    for keywords in ["rocket to Mars", "alien signal", "chef opens a restaurant", "xyzzy"]:
        cluster, found = rec.recommend(keywords, top=5)
        print(f"\nRecommendations for {keywords!r}"
              + (f" (cluster {cluster}):" if found else ": none, no known word"))
        for r in found:
            print(f"  {r.similarity:.3f}  [{r.movie.genre}] {r.movie.title}: {r.movie.overview}")


if __name__ == "__main__":
    main()
