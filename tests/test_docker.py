"""Static checks of the container set-up in docker/ (no Docker engine needed).

They read docker/compose.yaml (PyYAML), docker/nginx.conf, docker/Dockerfile and its
.dockerignore, and hold them to what the app expects: the services, the order they start in,
health checks, a required JWT secret, WebSocket proxying, a slim non-root image built from the
runtime lock file.
"""

from __future__ import annotations

import ipaddress
import json
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE = DOCKER / "compose.yaml"
NGINX = DOCKER / "nginx.conf"
DOCKERFILE = DOCKER / "Dockerfile"
DOCKERIGNORE = DOCKER / "Dockerfile.dockerignore"
PROD_LOCK = ROOT / "requirements.prod.lock"

SERVE = ["python", "-m", "api", "serve"]
MIGRATE = ["python", "-m", "api", "migrate"]


# ----------------------------------------------------------------------------- helpers


def _compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _services() -> dict[str, dict[str, Any]]:
    services = _compose()["services"]
    assert isinstance(services, dict)
    return services


def _command(value: str | list[str]) -> list[str]:
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def _env(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _default(value: str) -> str:
    """The value Compose gives `value` when no variable is set (`${X:-d}` -> d)."""
    return re.sub(r"\$\{[A-Za-z_][A-Za-z0-9_]*(?::?-([^}]*))?\}", lambda m: m.group(1) or "", value)


def _depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def _healthcheck_test(service: dict[str, Any]) -> str:
    check = service.get("healthcheck")
    assert check, "no healthcheck"
    assert not check.get("disable", False)
    test = check["test"]
    return test if isinstance(test, str) else " ".join(test)


def _nginx_text() -> str:
    lines = [line.split("#", 1)[0] for line in NGINX.read_text(encoding="utf-8").splitlines()]
    return re.sub(r"\s+", " ", " ".join(lines))


def _nginx_block(text: str, header: str) -> str:
    """The body of the first `header { ... }` block (braces balanced)."""
    start = text.index(header)
    i = text.index("{", start) + 1
    depth = 1
    j = i
    while depth:
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        j += 1
    return text[i : j - 1]


def _instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    result: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        result.append((keyword.upper(), args.strip()))
    assert not pending, "Dockerfile ends in a line continuation"
    return result


def _stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for keyword, args in _instructions():
        if keyword == "FROM":
            stages.append([])
        assert stages, "instruction before the first FROM"
        stages[-1].append((keyword, args))
    return stages


def _final_stage() -> list[tuple[str, str]]:
    return _stages()[-1]


def _env_vars(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in stage:
        if keyword == "ENV":
            for token in shlex.split(args):
                key, _, value = token.partition("=")
                env[key] = value
    return env


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    assert match, spec
    return _norm(match.group(1))


# ----------------------------------------------------------------------------- compose


def test_compose_declares_the_five_services() -> None:
    assert {"db", "redis", "migrate", "app", "proxy"} <= set(_services())


def test_replicas_relay_live_updates_through_redis() -> None:
    services = _services()
    redis = services["redis"]
    assert str(redis["image"]).startswith("redis:")
    assert "redis-cli" in _healthcheck_test(redis)
    app = services["app"]
    assert _default(_env(app)["EVENTS_REDIS_URL"]) == "redis://redis:6379/0"
    assert _depends_on(app)["redis"] == "service_healthy"


def test_db_is_postgres_15_on_a_named_volume() -> None:
    db = _services()["db"]
    assert db["image"] == "postgres:15"
    volumes = _compose().get("volumes") or {}
    mounts = [str(v).split(":") for v in db.get("volumes", [])]
    data = [m for m in mounts if len(m) >= 2 and m[1] == "/var/lib/postgresql/data"]
    assert data, "PostgreSQL data directory is not on a volume"
    assert data[0][0] in volumes, "the data volume is not a declared named volume"
    assert "pg_isready" in _healthcheck_test(db)
    env = _env(db)
    assert {"POSTGRES_DB", "POSTGRES_USER", "POSTGRES_PASSWORD"} <= set(env)


def test_app_runs_two_replicas_of_two_workers() -> None:
    app = _services()["app"]
    assert app["deploy"]["replicas"] == 2
    assert "container_name" not in app, "a fixed container name forbids replicas"
    assert "ports" not in app, "replicas cannot share a host port: publish only the proxy"
    env = _env(app)
    assert _default(env["WORKERS"]) == "2"
    assert _default(env["HOST"]) == "0.0.0.0"
    assert _default(env.get("PORT", "8000")) == "8000"
    assert _command(app.get("command", SERVE)) == SERVE


def test_migrate_runs_once_before_the_app() -> None:
    services = _services()
    migrate, app = services["migrate"], services["app"]
    assert _command(migrate["command"]) == MIGRATE
    # Quoted in YAML: a bare `no` would load as False.
    assert migrate.get("restart") == "no"
    assert "deploy" not in migrate or migrate["deploy"].get("replicas", 1) == 1
    assert _depends_on(migrate) == {"db": "service_healthy"}
    app_deps = _depends_on(app)
    assert app_deps["migrate"] == "service_completed_successfully"
    assert app_deps["db"] == "service_healthy"


def test_migrate_and_app_share_one_image_and_settings() -> None:
    services = _services()
    migrate, app = services["migrate"], services["app"]
    assert migrate["image"] == app["image"]
    assert migrate["build"] == app["build"]
    build = app["build"]
    context = (COMPOSE.parent / build["context"]).resolve()
    assert context == ROOT, "the build context must be the repository root"
    assert (context / build["dockerfile"]).resolve() == DOCKERFILE
    migrate_env, app_env = _env(migrate), _env(app)
    for key in ("ENVIRONMENT", "DATABASE_URL", "JWT_SECRET", "DB_POOL_SIZE", "TIMEZONE"):
        assert migrate_env[key] == app_env[key], key
    assert app_env["ENVIRONMENT"] == "production"
    assert re.fullmatch(r"postgres://[^@]+@db:5432/\S+", _default(app_env["DATABASE_URL"]))


def test_jwt_secret_is_required_not_defaulted() -> None:
    for name in ("migrate", "app"):
        secret = _env(_services()[name])["JWT_SECRET"]
        assert re.fullmatch(r"\$\{JWT_SECRET:\?[^}]+\}", secret), (name, secret)


def test_environment_names_are_known_settings() -> None:
    from services.kit.settings import Settings

    known = {name.upper() for name in Settings.model_fields}
    for name in ("migrate", "app"):
        unknown = set(_env(_services()[name])) - known
        assert not unknown, f"{name}: {sorted(unknown)} are not settings (typo?)"


def test_the_app_runs_with_the_production_defaults() -> None:
    env = _env(_services()["app"])
    assert env["ENVIRONMENT"] == "production"
    for switch in ("GRAPHIQL", "INTROSPECTION", "FIELD_SUGGESTIONS"):
        assert _default(env[switch]) == "false", switch
    # no made-up metrics token: empty means loopback only
    assert _default(env["METRICS_TOKEN"]) == ""
    # uvicorn's own X-Forwarded-For setting does nothing any more (api.__main__ turns its
    # proxy handling off): setting it would only mislead
    assert "FORWARDED_ALLOW_IPS" not in env


def test_the_app_trusts_exactly_nginx_for_the_client_address() -> None:
    from services.kit.settings import Settings

    services = _services()
    network = _compose()["networks"]["default"]["ipam"]["config"][0]
    subnet = ipaddress.ip_network(_default(network["subnet"]))
    dynamic = ipaddress.ip_network(_default(network["ip_range"]))
    proxy = ipaddress.ip_address(_default(services["proxy"]["networks"]["default"]["ipv4_address"]))
    # nginx has a fixed address on the project's network, which Docker never hands to another
    # container (dynamic addresses come from ip_range)
    assert proxy in subnet and dynamic.subnet_of(subnet)
    assert proxy not in dynamic
    # and the app trusts that address and nothing else, from the same variable
    trusted = _env(services["app"])["TRUSTED_PROXIES"]
    assert trusted == services["proxy"]["networks"]["default"]["ipv4_address"]
    settings = Settings(environment="test", trusted_proxies=_default(trusted))
    assert settings.trusted_proxy_networks == (ipaddress.ip_network(f"{proxy}/32"),)
    # the other services are on the same network (the default one)
    for name, service in services.items():
        assert set(service.get("networks", {"default": None})) == {"default"}, name


def test_every_service_has_a_healthcheck() -> None:
    services = _services()
    assert "pg_isready" in _healthcheck_test(services["db"])
    assert "/healthz" in _healthcheck_test(services["app"])
    assert _healthcheck_test(services["proxy"])


def test_proxy_is_nginx_on_8080_in_front_of_healthy_apps() -> None:
    proxy = _services()["proxy"]
    assert str(proxy["image"]).startswith("nginx:1.27")
    assert any(str(p).endswith(":8080") for p in proxy["ports"]), proxy["ports"]
    mounts = [str(v).split(":") for v in proxy["volumes"]]
    conf = [m for m in mounts if m[1] == "/etc/nginx/nginx.conf"]
    assert conf, "docker/nginx.conf is not mounted"
    assert (COMPOSE.parent / conf[0][0]).resolve() == NGINX
    assert _depends_on(proxy) == {"app": "service_healthy"}


# ----------------------------------------------------------------------------- nginx


def test_nginx_braces_balance() -> None:
    text = _nginx_text()
    depth = 0
    for char in text:
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0
    assert depth == 0


def test_nginx_proxies_websockets_to_the_app() -> None:
    text = _nginx_text()
    upstream = re.search(r"upstream (\S+) \{", text)
    assert upstream, "no upstream block"
    assert re.search(r"\bserver app:8000\b", _nginx_block(text, upstream.group(0)))
    server = _nginx_block(text, "server {")
    assert "listen 8080;" in server
    assert f"proxy_pass http://{upstream.group(1)};" in server
    assert "map $http_upgrade $connection_upgrade {" in text
    for directive in (
        "proxy_http_version 1.1;",
        "proxy_set_header Upgrade $http_upgrade;",
        "proxy_set_header Connection $connection_upgrade;",
        "proxy_set_header X-Forwarded-For $remote_addr;",
    ):
        assert directive in server, directive
    assert re.search(r"proxy_set_header X-Request-ID \$\S+;", server)


def test_nginx_never_passes_metrics_on() -> None:
    text = _nginx_text()
    server = _nginx_block(text, "server {")
    # a prefix location for /metrics that answers itself
    block = _nginx_block(server, "location /metrics {")
    assert re.search(r"return 40[34]\b", block), block
    assert "proxy_pass" not in block
    # and no regular-expression location that could win over it (nginx tries those after
    # the longest prefix, unless the prefix is marked ^~)
    assert not re.search(r"location ~", server), "a regex location could pass /metrics on"
    # the client's own X-Forwarded-For never reaches the app: nginx writes the peer's address
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in server
    assert "$proxy_add_x_forwarded_for" not in server


def test_nginx_keeps_subscriptions_open() -> None:
    text = _nginx_text()
    graphql = _nginx_block(text, "location /graphql {")
    timeout = re.search(r"proxy_read_timeout (\d+)([smh]?);", graphql)
    assert timeout, "no proxy_read_timeout for /graphql"
    seconds = int(timeout.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[timeout.group(2)]
    assert seconds >= 3600


# ----------------------------------------------------------------------------- Dockerfile


def test_dockerfile_is_multi_stage_on_python_311_slim() -> None:
    stages = _stages()
    assert len(stages) >= 2
    for stage in stages:
        image = stage[0][1].split()[0]
        assert image == "python:3.11-slim", image
    copies = [args for keyword, args in _final_stage() if keyword == "COPY"]
    assert any(args.startswith("--from=") for args in copies), "final stage copies no build output"


def test_dockerfile_runs_as_a_non_root_user() -> None:
    users = [args for keyword, args in _final_stage() if keyword == "USER"]
    assert users, "final stage has no USER"
    user = users[-1].split(":")[0]
    assert user not in {"root", "0"}, users[-1]


def test_dockerfile_installs_from_the_prod_lock() -> None:
    instructions = _instructions()
    copies = [args for keyword, args in instructions if keyword == "COPY"]
    assert any(shlex.split(args)[0] == "requirements.prod.lock" for args in copies)
    runs = [args for keyword, args in instructions if keyword == "RUN"]
    installs = [args for args in runs if "pip install" in args]
    assert any(re.search(r"-r \S*requirements\.prod\.lock\b", args) for args in installs), installs
    text = " ".join(args for _, args in instructions)
    assert "requirements.lock" not in text, "the dev lock must not go into the image"


def test_dockerfile_final_stage_has_no_build_tools() -> None:
    runs = " ".join(args for keyword, args in _final_stage() if keyword == "RUN")
    for tool in ("apt-get install", "apk add", "gcc", "build-essential", "pip install", "curl"):
        assert tool not in runs, tool


def test_dockerfile_environment_port_healthcheck_and_command() -> None:
    stage = _final_stage()
    env = _env_vars(stage)
    assert env.get("PYTHONDONTWRITEBYTECODE") == "1"
    assert env.get("PYTHONUNBUFFERED") == "1"
    assert env.get("HOST") == "0.0.0.0"
    exposed = [args.split() for keyword, args in stage if keyword == "EXPOSE"]
    assert any("8000" in ports or "8000/tcp" in ports for ports in exposed)
    checks = [args for keyword, args in stage if keyword == "HEALTHCHECK"]
    assert len(checks) == 1
    assert "/healthz" in checks[0] and "python" in checks[0] and "curl" not in checks[0]
    cmds = [args for keyword, args in stage if keyword == "CMD"]
    assert cmds, "no CMD"
    assert json.loads(cmds[-1]) == SERVE


def test_dockerfile_copies_exist_and_pass_the_dockerignore() -> None:
    sources: list[str] = []
    for keyword, args in _instructions():
        if keyword == "COPY" and not args.startswith("--from="):
            parts = [p for p in shlex.split(args) if not p.startswith("--")]
            sources.extend(parts[:-1])
    assert sources
    admitted = {
        line[1:].strip().rstrip("/")
        for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines()
        if line.startswith("!")
    }
    for source in sources:
        assert source.rstrip("/") in admitted, f"{source} is excluded from the build context"
        if source != PROD_LOCK.name:  # generated separately; checked below
            assert (ROOT / source).exists(), source
    assert ".env" not in admitted


def test_prod_lock_pins_every_runtime_dependency_and_no_dev_tool() -> None:
    if not PROD_LOCK.exists():
        pytest.skip("requirements.prod.lock not generated yet")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins: dict[str, str] = {}
    for raw in PROD_LOCK.read_text(encoding="utf-8").splitlines():
        line = raw.split("#", 1)[0].strip().rstrip("\\").strip()
        if not line or line.startswith("-"):  # options, --hash continuation lines
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==(\S+)(\s*;.*)?", line)
        assert match, f"not an exact pin: {raw!r}"
        pins[_norm(match.group(1))] = match.group(3)
    for spec in project["dependencies"]:
        name = _requirement_name(spec)
        assert name in pins, f"{name} missing from {PROD_LOCK.name}"
        exact = re.search(r"==\s*([^\s;,]+)", spec)
        if exact:
            assert pins[name] == exact.group(1), (name, pins[name], exact.group(1))
    for tool in ("pytest", "pytest-asyncio", "hypothesis", "ruff", "mypy", "import-linter"):
        assert tool not in pins, f"dev tool {tool} in {PROD_LOCK.name}"


def test_the_replicas_share_one_media_volume_and_nginx_lets_uploads_through() -> None:
    app = _services()["app"]
    mounts = [str(v).split(":") for v in app.get("volumes", [])]
    media = [m for m in mounts if len(m) >= 2 and m[1] == "/app/var/media"]
    assert media and media[0][0] in (_compose().get("volumes") or {})
    assert "client_max_body_size 50m;" in _nginx_text()
    assert "mkdir -p /app/var/media" in DOCKERFILE.read_text(encoding="utf-8")
