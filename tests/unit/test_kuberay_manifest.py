"""deploy/kuberay/raycluster.yaml against the schemas a cluster would check it with.

- KubeRay's RayCluster (ray.io/v1): the fields this manifest uses, with the types KubeRay's
  API reference gives them, written here as a JSON schema (KubeRay ships no Python package,
  and nothing of its repository is copied) and checked with jsonschema; unknown fields are
  errors, so a typo in a field name fails;
- Kubernetes' own: each pod template of the RayCluster, as a v1 PodTemplate, with
  kubernetes-validate (the Kubernetes OpenAPI schemas as a PyPI package), strictly
  (an unknown field is an error).
Plus what the runner and the node image need of it: the worker resource, the sidecar's
engine on the pod's loopback, and the head's client port.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "deploy/kuberay/raycluster.yaml"
K8S_VERSION = "1.31"


@pytest.fixture(scope="module")
def manifest() -> dict:
    return yaml.safe_load(MANIFEST.read_text())


STRINGS = {"type": "object", "additionalProperties": {"type": "string"}}
TEMPLATE = {"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}}
GROUP = {
    "type": "object",
    "required": ["rayStartParams", "template"],
    "additionalProperties": False,
    "properties": {
        "groupName": {"type": "string"},
        "replicas": {"type": "integer", "minimum": 0},
        "minReplicas": {"type": "integer", "minimum": 0},
        "maxReplicas": {"type": "integer", "minimum": 0},
        "rayStartParams": STRINGS,
        "template": TEMPLATE,
        "serviceType": {"type": "string"},
    },
}
RAYCLUSTER = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "ray.io/v1"},
        "kind": {"const": "RayCluster"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "labels": STRINGS},
        },
        "spec": {
            "type": "object",
            "required": ["headGroupSpec"],
            "additionalProperties": False,
            "properties": {
                "rayVersion": {"type": "string"},
                "enableInTreeAutoscaling": {"type": "boolean"},
                "headGroupSpec": GROUP,
                "workerGroupSpecs": {
                    "type": "array",
                    "items": {**GROUP, "required": ["groupName", "rayStartParams", "template"]},
                },
            },
        },
    },
}
"""The RayCluster fields the manifest uses, typed as KubeRay's API reference types them."""


def crd_validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft7Validator(RAYCLUSTER)


def templates(manifest: dict) -> list[dict]:
    spec = manifest["spec"]
    return [spec["headGroupSpec"]["template"], *(g["template"] for g in spec["workerGroupSpecs"])]


def test_manifest_matches_the_raycluster_schema(manifest) -> None:
    assert (manifest["apiVersion"], manifest["kind"]) == ("ray.io/v1", "RayCluster")
    errors = sorted(crd_validator().iter_errors(manifest), key=str)
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]


def test_the_raycluster_check_catches_a_bad_manifest(manifest) -> None:
    bad = json.loads(json.dumps(manifest))
    bad["spec"]["workerGroupSpecs"][0]["replicas"] = "four"
    bad["spec"]["workerGroupSpecs"][0]["replica"] = 4  # a typo of a field name
    del bad["spec"]["headGroupSpec"]["template"]
    messages = [e.message for e in crd_validator().iter_errors(bad)]
    assert any("'four' is not of type 'integer'" in m for m in messages), messages
    assert any("'template' is a required property" in m for m in messages), messages
    assert any("'replica' was unexpected" in m for m in messages), messages


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
