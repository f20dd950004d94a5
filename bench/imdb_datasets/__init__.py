"""Synthetic IMDb daily datasets: vocabulary, title draws, people draws and TSV line building.

Used by ``bench/generate_imdb_datasets.py``, which writes the five files.
"""
