"""Docker cannot run on these machines, so the container files are checked as far as they can be without it:
docker-compose.yml against the Compose specification's JSON schema (check-jsonschema ships it), every file,
volume and env file it names, and the commands both files run parsed by wirewatch's own CLI."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from bot.cli import _parser

ROOT = Path(__file__).parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_compose_file_is_valid_compose():
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec",
         str(ROOT / "docker-compose.yml")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr


def test_everything_compose_names_exists():
    declared = set(COMPOSE.get("volumes") or {})
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (ROOT / source).exists(), f"{name}: {source} does not exist"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"
        for env_file in service.get("env_file", []):
            entry = env_file if isinstance(env_file, dict) else {"path": env_file, "required": True}
            path = ROOT / entry["path"]
            if entry.get("required", True):
                assert path.exists(), f"{name}: env file {path} does not exist"
            else:  # optional because it holds secrets: an example of it ships instead
                example = path.with_name(path.name + ".example")
                assert example.exists(), f"{name}: neither {path.name} nor {example.name}"
                assert path.name in (ROOT / ".gitignore").read_text().split()


def test_the_service_runs_wirewatch_with_health_checked_on_its_metrics_port():
    service = COMPOSE["services"]["wirewatch"]
    args = _parser().parse_args(service["command"])
    assert args.command == "run" and args.database == "/data/wirewatch.db"
    mounts = {v.split(":")[1]: v.split(":")[0] for v in service["volumes"]}
    assert mounts[args.config] == "./config/wirewatch.yaml" and mounts["/data"] == "wirewatch-data"
    port = args.metrics.rpartition(":")[2]
    assert f"127.0.0.1:{port}/healthz" in " ".join(service["healthcheck"]["test"])
    assert service["restart"] == "unless-stopped"
    assert all(p.startswith("127.0.0.1:") for p in service.get("ports", []))  # nothing on public interfaces
    assert COMPOSE["services"]["synapse"]["profiles"] == ["matrix"]


def test_the_image_runs_as_a_non_root_user_with_data_in_a_volume():
    assert re.search(r"^USER wirewatch$", DOCKERFILE, re.M)
    assert 'VOLUME ["/data"]' in DOCKERFILE
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", DOCKERFILE, re.M).group(1))
    args = _parser().parse_args(cmd)
    assert args.command == "run" and args.database.startswith("/data/")
    health = re.search(r"^HEALTHCHECK .*\n\s+CMD (\[.*\])$", DOCKERFILE, re.M)
    assert f"{args.metrics}/healthz" in " ".join(json.loads(health.group(1)))
    copied = [shlex.split(line)[1] for line in DOCKERFILE.splitlines() if line.startswith("COPY ")]
    assert all((ROOT / path).exists() for paths in copied for path in [paths])


def test_run_refuses_a_bad_metrics_address(write_config, sites, cli):
    config = write_config([{"name": "Euphrates", "url": sites.url("/euphrates/feed.xml")}])
    code, _, err = cli("run", "--config", config, "--metrics", "everywhere")
    assert code == 2 and err.strip() == 'wirewatch: --metrics: "everywhere" is not host:port (e.g. 127.0.0.1:3000)'


def test_the_dependencies_are_installed_in_a_layer_before_the_code():
    """A code change must not reinstall every dependency: they come from pyproject.toml alone, before COPY bot."""
    lines = DOCKERFILE.splitlines()
    first_code = next(i for i, line in enumerate(lines) if line.startswith("COPY bot"))
    deps = next(i for i, line in enumerate(lines) if "pip install -r" in line)
    assert deps < first_code
    before = [shlex.split(line)[1] for line in lines[:deps] if line.startswith("COPY ")]
    assert before == ["pyproject.toml"]
    program = re.search(r'python -c "(.+?)" > /tmp/requirements.txt', DOCKERFILE).group(1)  # as the shell passes it
    listed = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                            text=True, check=True).stdout.split("\n")  # fmt: skip
    import tomllib

    assert [line for line in listed if line] == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "dependencies"
    ]
