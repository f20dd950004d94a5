"""Reading IMDb's dataset files, and assembling the contract's records from them."""

import datetime as dt
import gzip

import pyarrow as pa
import pytest

from imdb_pipeline.lib.dataset_records import DatasetRecords
from imdb_pipeline.lib.imdb_datasets import (
    FILES,
    TITLE_BASICS,
    TITLE_PRINCIPALS,
    TITLE_RATINGS,
    profile,
    read,
)
from imdb_pipeline.lib.source_file import SourceFileError
from imdb_pipeline.lib.staging import StagedSource
from imdb_pipeline_tests import imdb_datasets_fixture as fixture

HEADER = "\t".join(TITLE_BASICS.columns)
N = "\\N"


def basics(path, *rows: str, compress: bool = True):
    text = HEADER + "\n" + "".join(row + "\n" for row in rows)
    path.write_bytes(gzip.compress(text.encode()) if compress else text.encode())
    return path


def movie(tconst: str, title: str = "A Title", kind: str = "movie") -> str:
    return f"{tconst}\t{kind}\t{title}\t{title}\t0\t2001\t{N}\t90\tDrama"


def read_all(path, columns, **options):
    tables, malformed, rows = [], [], 0
    for table, met, read_rows in read(path, TITLE_BASICS, "basics", columns, **options):
        tables.append(table)
        malformed += met
        rows += read_rows
    return pa.concat_tables(tables), malformed, rows


@pytest.mark.parametrize("compress", [True, False])
def test_rows_keep_their_lines_past_malformed_lines_and_n_is_null(tmp_path, compress):
    path = basics(tmp_path / "b.tsv.gz", movie("tt1", 'The "Quoted" One'), "tt2\tmovie\tcut short",
                  "", movie("tt3", "Été"), movie("tt4").replace("2001", N), compress=compress)  # fmt: skip

    table, malformed, rows = read_all(path, ["tconst", "primaryTitle", "startYear"],
                                      line_numbers=True, block_size=100)  # fmt: skip

    assert table.to_pylist() == [
        {"tconst": "tt1", "primaryTitle": 'The "Quoted" One', "startYear": "2001", "line": 2},
        # A blank line holds one empty field, which no filter on an id or a type keeps.
        {"tconst": "", "primaryTitle": "", "startYear": "", "line": 4},
        {"tconst": "tt3", "primaryTitle": "Été", "startYear": "2001", "line": 5},
        {"tconst": "tt4", "primaryTitle": "A Title", "startYear": None, "line": 6},
    ]
    assert malformed == [(3, "tt2\tmovie\tcut short")]
    assert rows == 4


def test_only_the_kept_rows_come_back(tmp_path):
    path = basics(tmp_path / "b.tsv.gz", movie("tt1"), movie("tt2", kind="short"), movie("tt3"))

    table, _, rows = read_all(path, ["tconst", "titleType"],
                              keep=lambda batch: pa.compute.equal(batch["titleType"], "movie"))  # fmt: skip

    assert table["tconst"].to_pylist() == ["tt1", "tt3"] and rows == 3


def test_the_profile_counts_rows_and_hashes_the_stored_bytes(tmp_path):
    path = basics(tmp_path / "b.tsv.gz", movie("tt1"), movie("tt2"))

    found = profile(path, TITLE_BASICS, "b")

    assert (found.row_count, found.size_bytes) == (2, path.stat().st_size)
    assert len(found.sha256) == 64


@pytest.mark.parametrize("damage, phrase", [
    (lambda data: data[:-12], "not a readable gzip file"),
    (lambda data: gzip.compress(gzip.decompress(data).replace(b"genres", b"genre")),
     "header is missing column(s) genres"),
    (lambda data: gzip.compress(gzip.decompress(data).replace(b"\t", b",")),
     "header is missing column(s) tconst"),
    (lambda data: b"", "the file is empty"),
    (lambda data: gzip.decompress(data), "named .gz but its content is not gzip"),
])  # fmt: skip
def test_a_broken_file_is_named_in_the_error(tmp_path, damage, phrase):
    path = basics(tmp_path / "title.basics.tsv.gz", movie("tt1"), movie("tt2"))
    path.write_bytes(damage(path.read_bytes()))

    with pytest.raises(SourceFileError, match="^s3://bucket/2024-06-01/title.basics.tsv.gz: ") as error:
        profile(path, TITLE_BASICS, "s3://bucket/2024-06-01/title.basics.tsv.gz")
    assert phrase in str(error.value)


def test_a_truncated_file_fails_while_read_naming_it(tmp_path):
    path = basics(tmp_path / "b.tsv.gz", *(movie(f"tt{n}") for n in range(5000)))
    path.write_bytes(path.read_bytes()[:-40])

    with pytest.raises(SourceFileError, match="^the basics: not a readable gzip file"):
        list(read(path, TITLE_BASICS, "the basics", ["tconst"]))


def staged(folder, **options):
    paths = {file.name: folder / file.name for file in FILES}
    records = DatasetRecords(paths, {name: name for name in paths}, str(folder), **options)
    source = StagedSource(records, dt.date(2024, 6, 1))
    movies = pa.Table.from_batches(list(source), schema=source.schema)
    return movies, source.rejects, records.counts


def test_the_assembled_records_are_the_movies_the_files_define(tmp_path):
    folder = fixture.write(tmp_path, fixture.titles(generated=40))

    movies, rejects, counts = staged(folder)

    expected = fixture.expected_movies(folder)
    assert set(movies["movie_id"].to_pylist()) == set(expected) - set(fixture.SPECIAL_REJECTS)
    assert dict(zip(rejects["movie_id"].to_pylist(), rejects["reason"].to_pylist())) \
        == fixture.SPECIAL_REJECTS
    first = movies.filter(pa.compute.equal(movies["movie_id"], "tt0000001")).to_pylist()[0]
    assert (first["title"], first["director"], first["stars"], first["genre"], first["source_line"]) \
        == ('The "Great" Escape', "John Sturges",
            'Steve McQueen, Zoë Saldaña, "Weird Al" Yankovic', "Adventure, Drama, History", 2)
    # Two directors: the first is the movie's.
    assert movies.filter(pa.compute.equal(movies["movie_id"], "tt0000002"))["director"][0].as_py() \
        == "Jean-Pierre Jeunet"
    assert counts["rated_movies"] == len(expected)
    assert counts["titles_read"] == len(fixture.titles(generated=40))


def test_title_types_and_adult_titles_are_chosen_by_configuration(tmp_path):
    folder = fixture.write(tmp_path, fixture.titles(generated=0))

    movies, _, _ = staged(folder, title_types=("movie", "tvEpisode"), include_adult=True)

    assert {"tt0000004", "tt0000005"} <= set(movies["movie_id"].to_pylist())


def test_a_malformed_line_of_a_movie_is_a_reject_and_of_another_title_is_only_counted(tmp_path):
    rows = fixture.titles(generated=0)
    folder = fixture.write(tmp_path, rows)
    path = folder / TITLE_BASICS.name
    text = gzip.decompress(path.read_bytes()).decode()
    text += "tt0000098\tmovie\tBroken\n" + "tt0000099\tshort\tBroken too\n"
    path.write_bytes(gzip.compress(text.encode()))

    _, rejects, counts = staged(folder)

    broken = rejects.filter(pa.compute.equal(rejects["movie_id"], "tt0000098")).to_pylist()
    assert [(row["source_line"], row["reason"]) for row in broken] == [
        (len(rows) + 2, "expected 9 tab-separated fields, found 3")]
    assert counts["malformed_lines"][TITLE_BASICS.name] == 2
    assert counts["malformed_lines"][TITLE_RATINGS.name] == 0


def test_a_principal_whose_ordering_is_not_a_number_fails_naming_the_file(tmp_path):
    folder = fixture.write(tmp_path, fixture.titles(generated=0))
    path = folder / TITLE_PRINCIPALS.name
    lines = gzip.decompress(path.read_bytes()).decode().splitlines()
    lines[1] = lines[1].replace("\t1\t", "\tfirst\t", 1)
    fixture.write_file(path, [line.split("\t") for line in lines])

    with pytest.raises(SourceFileError, match="^title.principals.tsv.gz: ordering must be an "):
        staged(folder)
