"""deploy/kuberay/raycluster.yaml against the schemas a cluster would check it with.

- KubeRay's RayCluster CRD (v1): its openAPIV3Schema, copied with its version into
  tests/cluster/fixtures (KubeRay ships no Python package), checked with jsonschema;
- Kubernetes' own: each pod template of the RayCluster, as a v1 PodTemplate, with
  kubernetes-validate (the Kubernetes OpenAPI schemas as a PyPI package), strictly
  (an unknown field is an error).
Plus what the runner and the node image need of it: the worker resource, the sidecar's
engine on the pod's loopback, and the head's client port.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy/kuberay/raycluster.yaml"
CRD = ROOT / "tests/cluster/fixtures/kuberay-v1.7.0-raycluster-v1.schema.json.gz"
K8S_VERSION = "1.31"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


def crd_validator() -> jsonschema.protocols.Validator:
    schema = json.loads(gzip.decompress(CRD.read_bytes()))["openAPIV3Schema"]
    return jsonschema.Draft7Validator(schema)


def templates(manifest: dict) -> list[dict]:
    spec = manifest["spec"]
    return [spec["headGroupSpec"]["template"], *(g["template"] for g in spec["workerGroupSpecs"])]


def test_manifest_matches_the_kuberay_crd(manifest) -> None:
    assert (manifest["apiVersion"], manifest["kind"]) == ("ray.io/v1", "RayCluster")
    errors = sorted(crd_validator().iter_errors(manifest), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_crd_check_catches_a_bad_manifest(manifest) -> None:
    bad = json.loads(json.dumps(manifest))
    bad["spec"]["workerGroupSpecs"][0]["replicas"] = "four"
    del bad["spec"]["headGroupSpec"]["template"]
    messages = [e.message for e in crd_validator().iter_errors(bad)]
    assert any("'four' is not of type 'integer'" in m for m in messages), messages
    assert any("'template' is a required property" in m for m in messages), messages


def _pod_template(template: dict, name: str) -> dict:
    meta = {"name": name}
    return {"apiVersion": "v1", "kind": "PodTemplate", "metadata": meta, "template": template}


def test_pod_templates_are_valid_kubernetes(manifest) -> None:
    for i, template in enumerate(templates(manifest)):
        kubernetes_validate.validate(_pod_template(template, f"t{i}"), K8S_VERSION, strict=True)


def test_the_kubernetes_check_catches_a_bad_pod(manifest) -> None:
    template = json.loads(json.dumps(templates(manifest)[1]))
    template["spec"]["containers"][1]["securityContext"]["privileged"] = "yes"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(_pod_template(template, "bad"), K8S_VERSION, strict=True)


def test_workers_offer_the_runner_resource_and_their_own_engine(manifest) -> None:
    group = manifest["spec"]["workerGroupSpecs"][0]
    assert json.loads(json.loads(group["rayStartParams"]["resources"])) == {"swe_env": 1}
    ray_c, dind = group["template"]["spec"]["containers"]
    assert {"name": "DOCKER_HOST", "value": "tcp://127.0.0.1:2375"} in ray_c["env"]
    assert "--host=tcp://127.0.0.1:2375" in dind["args"] and dind["securityContext"]["privileged"]
    head = manifest["spec"]["headGroupSpec"]
    assert head["rayStartParams"]["num-cpus"] == "0"
    ports = {p["containerPort"] for p in head["template"]["spec"]["containers"][0]["ports"]}
    assert 10001 in ports
