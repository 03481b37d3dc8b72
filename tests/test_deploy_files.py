"""The deployment files (Containerfile, compose.yaml, deploy/k8s) parse and wire what
docs/operations.md promises: non-root, health probes, SHARD_IDS=auto, a Secret, a PDB.
Where a container engine runs, the image is built and started against the emulator."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
K8S = REPO / "deploy" / "k8s"


def k8s_documents() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def test_the_containerfile_runs_as_non_root_with_the_liveness_probe() -> None:
    text = (REPO / "Containerfile").read_text()
    lines = [line.strip() for line in text.splitlines()]
    user = next(line for line in lines if line.startswith("USER "))
    assert user.split()[1].split(":")[0] not in ("root", "0")
    assert any(line.startswith("HEALTHCHECK") for line in lines) and "/livez" in text
    assert 'ENTRYPOINT ["alphapy"]' in lines and 'CMD ["run"]' in lines
    assert "HEALTH_HOST=0.0.0.0" in text  # probes come from outside the container


def test_compose_runs_postgres_two_auto_sharded_bots_and_the_dashboard() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"postgres", "bot", "dashboard"}
    bot = services["bot"]
    assert bot["command"] == ["run"] and bot["deploy"]["replicas"] == 2
    assert bot["environment"]["SHARD_IDS"] == "auto"
    assert bot["environment"]["DATABASE_URL"].startswith("postgresql://alphapy:")
    assert bot["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "/readyz" in " ".join(bot["healthcheck"]["test"])
    assert services["dashboard"]["command"] == ["dashboard"]
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])


def test_kubernetes_probes_a_disruption_budget_and_secrets() -> None:
    docs = k8s_documents()
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("Deployment", "alphapy-bot"), ("PodDisruptionBudget", "alphapy-bot"), ("Secret", "alphapy"),
            ("Deployment", "alphapy-dashboard")} <= kinds
    bot = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "alphapy-bot")
    pod = bot["spec"]["template"]["spec"]
    [container] = pod["containers"]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert {"name": "SHARD_IDS", "value": "auto"} in container["env"]
    assert container["envFrom"] == [{"secretRef": {"name": "alphapy"}}]
    pdb = next(d for d in docs if d["kind"] == "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == bot["spec"]["selector"]["matchLabels"]
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert sorted(kustomization["resources"]) == sorted(p.name for p in K8S.glob("*.yaml")
                                                       if p.name != "kustomization.yaml")


def container_engine() -> tuple[str | None, str]:
    """A working engine (podman or docker), or why there is none."""
    for engine in ("podman", "docker"):
        if shutil.which(engine) is None:
            continue
        probe = subprocess.run([engine, "info"], capture_output=True, text=True, timeout=30)
        if probe.returncode == 0:
            return engine, ""
        reason = (probe.stderr.strip().splitlines() or ["no answer"])[-1]
        return None, f"{engine} is installed but its engine does not run here ({reason[:120]})"
    return None, "no container engine (podman or docker) is installed here"


@pytest.mark.scale
async def test_the_image_builds_and_serves_against_the_emulator(tmp_path: Path) -> None:
    engine, reason = container_engine()
    if engine is None:
        pytest.skip(reason)
    from alphapy.testing.emulator import DiscordEmulator

    tag = "alphapy-test:latest"
    built = await asyncio.to_thread(subprocess.run, [engine, "build", "-t", tag, "-f", "Containerfile", "."],
                                    cwd=REPO, capture_output=True, text=True, timeout=1800)
    assert built.returncode == 0, built.stderr[-3000:]
    async with DiscordEmulator() as emulator:
        emulator.add_guild("Container")
        name = f"alphapy-test-{int(time.time())}"
        run = [engine, "run", "-d", "--rm", "--name", name, "--network", "host",
               "-e", f"DISCORD_TOKEN={emulator.token}", "-e", f"DISCORD_API_BASE={emulator.api_base}",
               "-e", f"DISCORD_GATEWAY_URL={emulator.gateway_url}", "-e", "HEALTH_HOST=127.0.0.1",
               "-e", "HEALTH_PORT=18080", "-e", "ALPHAPY_PLUGINS=", tag]
        started = await asyncio.to_thread(subprocess.run, run, capture_output=True, text=True, timeout=120)
        assert started.returncode == 0, started.stderr
        try:
            await emulator.wait_connected(timeout=120)

            def ready() -> int:
                with urllib.request.urlopen("http://127.0.0.1:18080/readyz", timeout=2) as resp:
                    return int(resp.status)

            assert await asyncio.to_thread(ready) == 200
            assert (await emulator.slash(emulator.guilds[0].owner, "ping")).content.startswith("Pong")
        finally:
            await asyncio.to_thread(subprocess.run, [engine, "stop", name], capture_output=True, timeout=60)
