"""The container and Kubernetes files agree with the server and with Kubernetes' own schemas.

The manifests are validated offline against the Kubernetes OpenAPI schemas
that the ``kubernetes-validate`` package bundles (strict: unknown fields are
errors), for the oldest and newest versions checked here.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import shlex
import sys
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml
from aiohttp import web

import inndx_cdp
from inndx_cdp.settings import Settings

ROOT = Path(__file__).parents[1]
KUBERNETES = ROOT / "chromium" / "kubernetes"
VERSIONS = ("1.29.0", "1.37.0")


def manifests() -> dict[str, dict[str, Any]]:
    found = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            found[document["kind"]] = document
    return found


def dockerfile() -> list[tuple[str, str]]:
    """The Dockerfile's instructions, read by the same parser chromium/rootfs.py builds with."""
    spec = importlib.util.spec_from_file_location("rootfs", ROOT / "chromium" / "rootfs.py")
    assert spec is not None
    assert spec.loader is not None
    rootfs = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("rootfs", rootfs)  # its dataclasses look themselves up there
    spec.loader.exec_module(rootfs)
    return list(rootfs.instructions((ROOT / "chromium" / "Dockerfile").read_text()))


def container(found: dict[str, dict[str, Any]]) -> dict[str, Any]:
    (only,) = found["Deployment"]["spec"]["template"]["spec"]["containers"]
    return dict(only)


@pytest.mark.parametrize("version", VERSIONS)
def test_manifests_validate_against_the_kubernetes_schemas(version: str) -> None:
    found = manifests()
    assert set(found) == {
        "Deployment",
        "Service",
        "HorizontalPodAutoscaler",
        "PodDisruptionBudget",
    }
    for document in found.values():
        kubernetes_validate.validate(document, version, strict=True)


def test_the_validator_rejects_a_broken_deployment() -> None:
    deployment = manifests()["Deployment"]
    unknown_field = copy.deepcopy(deployment)
    unknown_field["spec"]["template"]["spec"]["terminationGracePeriod"] = 30
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["replicas"] = "two"
    for broken in (unknown_field, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, VERSIONS[-1], strict=True)


def test_termination_grace_covers_the_drain() -> None:
    found = manifests()
    pod = found["Deployment"]["spec"]["template"]["spec"]
    env = {item["name"]: item["value"] for item in container(found)["env"]}
    drain_grace = float(env["INNDX_CDP_DRAIN_GRACE"])
    pre_stop = container(found)["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    # After SIGTERM the server takes at most drain_grace + 5 s (the CLI's shutdown timeout).
    needed = float(pre_stop[1]) + drain_grace + 5
    assert needed <= pod["terminationGracePeriodSeconds"] <= needed + 15


def test_manifest_settings_are_real_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {item["name"]: item["value"] for item in container(manifests())["env"]}
    ours = {name: value for name, value in env.items() if name.startswith("INNDX_CDP_")}
    assert ours
    for name, value in ours.items():
        assert name.removeprefix("INNDX_CDP_").lower() in Settings.model_fields, name
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.drain_grace == float(env["INNDX_CDP_DRAIN_GRACE"])
    limit = container(manifests())["resources"]["limits"]["memory"]
    assert limit.endswith("Gi")
    assert settings.max_browser_memory_mb < int(limit[:-2]) * 1024


def test_probes_ports_and_labels_match_the_server() -> None:
    found = manifests()
    app = web.Application()
    inndx_cdp.setup(app)
    paths = {route.resource.canonical for route in app.router.routes() if route.resource}
    spec = container(found)
    (port,) = spec["ports"]
    assert port["containerPort"] == Settings().port == 8022
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert spec[probe]["httpGet"]["path"] in paths
        assert spec[probe]["httpGet"]["port"] == port["name"]
    assert spec["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert spec["livenessProbe"]["httpGet"]["path"] == "/healthz"
    labels = found["Deployment"]["spec"]["template"]["metadata"]["labels"]
    assert found["Deployment"]["spec"]["selector"]["matchLabels"] == labels
    assert found["Service"]["spec"]["selector"] == labels
    assert found["PodDisruptionBudget"]["spec"]["selector"]["matchLabels"] == labels
    assert found["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]
    target = found["HorizontalPodAutoscaler"]["spec"]["scaleTargetRef"]
    assert (target["kind"], target["name"]) == (
        "Deployment",
        found["Deployment"]["metadata"]["name"],
    )


def test_the_image_runs_as_a_user_with_the_sandbox_on() -> None:
    steps = dockerfile()
    assert not any("--no-sandbox" in rest for _, rest in steps)
    final = steps[max(i for i, (word, _) in enumerate(steps) if word == "FROM") :]
    assert final[0][1].startswith("debian:${DEBIAN_RELEASE}-slim")
    assert ("ARG", "DEBIAN_RELEASE=bookworm") in steps
    users = [rest for word, rest in final if word == "USER"]
    assert users
    uid = users[-1].split(":")[0]
    assert uid.isdigit()
    assert int(uid) != 0
    pod = manifests()["Deployment"]["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert str(pod["securityContext"]["runAsUser"]) == uid
    env = " ".join(rest for word, rest in final if word == "ENV")
    assert "INNDX_CDP_HOST=0.0.0.0" in env
    assert ("EXPOSE", "8022") in final
    entrypoint = json.loads(next(rest for word, rest in final if word == "ENTRYPOINT"))
    assert entrypoint[0] == "/usr/bin/tini"
    assert json.loads(next(rest for word, rest in final if word == "CMD")) == ["inndx-cdp", "serve"]
    runs = " ".join(rest for word, rest in final if word == "RUN")
    assert "--also tini" in runs
    assert "--shell-only" in runs
    assert "FULL_CHROMIUM" in runs
    health = next(rest for word, rest in final if word == "HEALTHCHECK")
    assert "/healthz" in health
    # The install step is the developer's script, and nothing in the image compiles.
    for word, rest in steps:
        if word == "RUN":
            assert not {"gcc", "build-essential", "python3-dev"} & set(shlex.split(rest))
    assert "--only-binary=:all:" in " ".join(rest for word, rest in steps if word == "RUN")
