"""Source files in the shape users really send: written by pandas from a DataFrame, with blanks
in integer columns, certificates of several countries and names in several scripts. Made up
here (no third-party data), deterministic for a seed."""

import numpy as np
import pandas as pd

CERTIFICATES = ["U", "UA", "U/A", "A", "UA 13+", "12A", "15", "18", "R18", "PG", "PG-13", "R",
                "16", "18+", "Not Rated", None]  # fmt: skip
GENRES = ["Drama", "Comedy", "Action", "Romance", "Thriller", "Crime", "Family", "Musical"]
NAMES = ["Aamir Khan", "Kareena Kapoor", "Shah Rukh Khan", "Deepika Padukone", "Ranbir Kapoor",
         "Alia Bhatt", "Rajinikanth", "Nayanthara", "Simon Pegg", "Olivia Colman", "Judi Dench",
         "Idris Elba", "Tilda Swinton", "Toshirō Mifune", "三船敏郎", "अमिताभ बच्चन",
         "Penélope Cruz", "Zoë Kravitz", "Lupita Nyong'o", "Sergi López"]  # fmt: skip
DIRECTORS = ["Rajkumar Hirani", "Zoya Akhtar", "S. S. Rajamouli", "Mira Nair", "Edgar Wright",
             "Andrea Arnold", "Danny Boyle", "黒澤明", "सत्यजित राय", "Pedro Almodóvar"]  # fmt: skip


def pandas_export(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` movies as a DataFrame: `to_csv` writes metascore, runtime and votes as 78.0,
    because their blanks made pandas hold them as floats."""
    pick = np.random.default_rng(seed)
    metascore = pick.integers(20, 101, rows).astype(float)
    metascore[pick.random(rows) < 0.3] = np.nan
    runtime = pick.integers(70, 200, rows).astype(float)
    runtime[pick.random(rows) < 0.05] = np.nan
    gross = np.round(pick.gamma(1.5, 20, rows), 2)
    gross[pick.random(rows) < 0.4] = np.nan
    return pd.DataFrame({
        "movie_id": [f"tt{2000000 + number:07d}" for number in range(rows)],
        "title": [f"Film {number}" for number in range(rows)],
        "year": pick.integers(1950, 2024, rows),
        "certificate": [CERTIFICATES[i] for i in pick.integers(0, len(CERTIFICATES), rows)],
        "runtime_minutes": runtime,
        "genre": [", ".join(pick.choice(GENRES, pick.integers(1, 4), replace=False))
                  for _ in range(rows)],
        "rating": np.round(pick.uniform(1, 10, rows), 1),
        "metascore": metascore,
        "description": [f"Story number {number}, told in one line." for number in range(rows)],
        "director": [DIRECTORS[i] for i in pick.integers(0, len(DIRECTORS), rows)],
        "stars": [", ".join(pick.choice(NAMES, pick.integers(2, 5), replace=False))
                  for _ in range(rows)],
        "votes": pick.integers(100, 3_000_000, rows).astype(float),
        "gross_millions": gross,
    })  # fmt: skip
