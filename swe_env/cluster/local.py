"""A multi-node test cluster on one machine (``swe-env cluster up|down|status``).

Containers of the node image (:mod:`swe_env.cluster.node_image`) on a private bridge
network: a Ray head (no engine, no episodes: ``--num-cpus=0``) and ``workers`` Ray worker
nodes, each with its own Docker engine inside (docker-in-docker, its ``/var/lib/docker``
on a volume so that the inner engine can use overlay2). A worker's engine listens on
``tcp://NODE_IP:2375`` on the private network only, so the host can load images into it
and tests can inspect it. The driver connects with Ray's client (``ray://HEAD_IP:10001``).

The nodes are not ``--privileged``: a privileged container gets every capability the
engine knows, and an engine whose own bounding set lacks one (CAP_SYS_RESOURCE in some
VMs) cannot start it. They get every capability but that one, no seccomp or AppArmor
profile, IP forwarding on, and the host's cgroup tree (cgroup v1 nesting).
"""

from __future__ import annotations

import contextlib
import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docker
import docker.errors
from pydantic import BaseModel, ConfigDict, Field

from swe_env.cluster.node_image import ensure_node_image
from swe_env.errors import DockerUnavailable, SweEnvError
from swe_env.images.bootstrap import base_tag
from swe_env.images.transfer import Transfer, copy_image

LABEL = "swe-env.cluster"
Progress = Callable[[str], None]


class ClusterError(SweEnvError, RuntimeError):
    """The test cluster could not be started or reached."""


class ClusterConfig(BaseModel):
    """The test cluster's shape. Everything is named and labelled after ``name``."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    name: str = Field("swe-env-cluster", pattern=r"^[a-z0-9][a-z0-9-]{0,30}$")
    """Prefix of the network, containers and volumes; the value of their cluster label."""
    workers: int = Field(2, ge=1, le=16)
    """Ray worker nodes, each with its own Docker engine."""
    node_cpus: int = Field(2, ge=1)
    """CPUs each worker node advertises to Ray."""
    storage_driver: str = "overlay2"
    """The inner engines' storage driver (overlay2 works on the volume; vfs always does)."""
    python: str = "3.11"
    """Python of the base image (and the node image)."""
    mtu: int = Field(1400, ge=576)
    """MTU of the inner engines' bridge (no larger than the host's)."""
    subnet: str | None = None
    """The private network's subnet (default: a free 172.29.N.0/24)."""
    preload: list[str] = Field(default_factory=list)
    """Images copied from the host's engine into every worker's (the base always is)."""


@dataclass(frozen=True)
class Node:
    name: str
    role: str
    ip: str
    status: str

    @property
    def engine_url(self) -> str:
        return f"tcp://{self.ip}:2375"


class LocalCluster:
    """Start, inspect, break and remove the test cluster. ``client`` is the host's engine."""

    def __init__(self, config: ClusterConfig | None = None, client: Any = None) -> None:
        self.config = config or ClusterConfig()
        self.client: docker.DockerClient = client or _host_client()
        self.name = self.config.name

    # -- names --------------------------------------------------------------------------
    @property
    def network_name(self) -> str:
        return f"{self.name}-net"

    def node_name(self, index: int) -> str:
        """``0`` is the head, ``1..workers`` the workers."""
        return f"{self.name}-head" if index == 0 else f"{self.name}-w{index}"

    @property
    def worker_names(self) -> list[str]:
        return [self.node_name(i) for i in range(1, self.config.workers + 1)]

    # -- state --------------------------------------------------------------------------
    def nodes(self) -> list[Node]:
        """The cluster's containers (running or not), head first."""
        found = []
        for c in self.client.containers.list(all=True, filters={"label": f"{LABEL}={self.name}"}):
            nets = c.attrs["NetworkSettings"]["Networks"]
            ip = (nets.get(self.network_name) or {}).get("IPAddress") or c.labels.get(
                f"{LABEL}.ip", ""
            )
            found.append(Node(c.name, c.labels.get(f"{LABEL}.role", "?"), ip, c.status))
        return sorted(found, key=lambda n: (n.role != "head", n.name))

    def node(self, name: str) -> Node:
        for node in self.nodes():
            if node.name == name:
                return node
        raise ClusterError(f"no node {name!r} in cluster {self.name!r} (is it up?)")

    @property
    def address(self) -> str:
        """The Ray client address of the head."""
        return f"ray://{self.node(self.node_name(0)).ip}:10001"

    def engine(self, name: str, timeout: float = 30) -> docker.DockerClient:
        """A client of worker ``name``'s own engine."""
        return docker.DockerClient(base_url=self.node(name).engine_url, timeout=timeout)

    def is_up(self) -> bool:
        nodes = self.nodes()
        return len(nodes) == self.config.workers + 1 and all(n.status == "running" for n in nodes)

    # -- start and stop -----------------------------------------------------------------
    def up(self, progress: Progress = lambda _: None, timeout: float = 300) -> None:
        """Start the cluster (what runs already is kept) and wait until every worker's
        engine answers, has the base (and preloaded) images, and has joined Ray.

        Raises:
            ClusterError: a node did not come up within ``timeout`` seconds.
            ImageBuildError: the node image could not be built.
        """
        image = ensure_node_image(self.client, self.config.python, progress)
        try:
            self._start(image)
        except docker.errors.APIError as exc:
            raise ClusterError(f"starting cluster {self.name} failed: {exc}") from exc
        deadline = time.monotonic() + timeout
        for name in self.worker_names:
            self._wait_engine(name, deadline)
            for tag in [base_tag(self.config.python), *self.config.preload]:
                moved = self.load(tag, [name])[0]
                if not moved.skipped:
                    mb = moved.bytes / 1e6
                    progress(f"{name}: loaded {tag} ({mb:.0f} MB, {moved.seconds:.1f} s)")
        self.wait_ray(self.config.workers, deadline - time.monotonic())
        progress(f"cluster {self.name} is up: {self.address}")

    def _start(self, image: str) -> None:
        network = self._network()
        subnet = ipaddress.ip_network(network.attrs["IPAM"]["Config"][0]["Subnet"])
        hosts = list(subnet.hosts())
        for index in range(self.config.workers + 1):
            self._start_node(index, image, str(hosts[10 + index]))

    def down(self) -> int:
        """Remove the cluster's containers, volumes and network; returns how many objects."""
        removed = 0
        for c in self.client.containers.list(all=True, filters={"label": f"{LABEL}={self.name}"}):
            with contextlib.suppress(docker.errors.NotFound):
                c.remove(force=True, v=True)
                removed += 1
        for v in self.client.volumes.list(filters={"label": f"{LABEL}={self.name}"}):
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                v.remove(force=True)
                removed += 1
        for n in self.client.networks.list(filters={"label": f"{LABEL}={self.name}"}):
            with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
                n.remove()
                removed += 1
        return removed

    def _network(self) -> Any:
        found = self.client.networks.list(names=[self.network_name])
        if found:
            return self.client.networks.get(found[0].id)
        subnet = self.config.subnet or _free_subnet(self.client)
        ipam = docker.types.IPAMConfig(pool_configs=[docker.types.IPAMPool(subnet=subnet)])
        return self.client.networks.create(
            self.network_name, driver="bridge", ipam=ipam, labels={LABEL: self.name},
            options={"com.docker.network.driver.mtu": str(self.config.mtu)},
        )  # fmt: skip

    def _start_node(self, index: int, image: str, ip: str) -> None:
        name = self.node_name(index)
        role = "head" if index == 0 else "worker"
        with contextlib.suppress(docker.errors.NotFound):
            existing = self.client.containers.get(name)
            if existing.attrs["Config"]["Image"] == image:
                if existing.status != "running":
                    existing.start()
                return
            existing.remove(force=True)  # an older node image: replaced (volumes kept)
        labels = {LABEL: self.name, f"{LABEL}.role": role, f"{LABEL}.ip": ip}
        env = {
            "SWE_ENV_HEAD": self.node_name(0),
            "SWE_ENV_STORAGE_DRIVER": self.config.storage_driver,
            "SWE_ENV_NODE_CPUS": str(self.config.node_cpus),
            "SWE_ENV_MTU": str(self.config.mtu - 50),
        }
        volumes = {}
        if role == "worker":  # create() returns the volume when it exists already
            volume = self.client.volumes.create(f"{name}-docker", labels={LABEL: self.name})
            volumes = {
                volume.name: {"bind": "/var/lib/docker", "mode": "rw"},
                "/sys/fs/cgroup": {"bind": "/sys/fs/cgroup", "mode": "rw"},
            }
        container = self.client.containers.create(
            image, [role], name=name, hostname=name, labels=labels, environment=env,
            volumes=volumes, detach=True, shm_size="1g", **_NODE_RIGHTS,
        )  # fmt: skip
        self.client.networks.get(self.network_name).connect(container, ipv4_address=ip)
        self.client.networks.get("bridge").disconnect(container)
        container.start()

    def _thaw_orphans(self) -> int:
        """Thaw frozen cgroup-v1 freezers of containers the host engine does not know:
        the nodes' inner containers (the nodes share the host's cgroup tree). One paused
        by an inner `docker commit` when its node or engine died stays frozen, and then
        neither the node can exit nor its restarted engine clean it up."""
        root = Path("/sys/fs/cgroup/freezer/docker")
        if not root.is_dir():
            return 0
        known = {c.id for c in self.client.containers.list(all=True)}
        thawed = 0
        for state in root.glob("*/freezer.state"):
            with contextlib.suppress(OSError):
                if state.parent.name not in known and state.read_text().strip() != "THAWED":
                    state.write_text("THAWED")
                    thawed += 1
        return thawed

    def _wait_engine(self, name: str, deadline: float) -> None:
        while True:
            self._thaw_orphans()
            try:
                self.engine(name, timeout=5).ping()
                return
            except Exception as exc:  # not up yet: connection refused, reset, timeout
                if time.monotonic() > deadline:
                    raise ClusterError(f"{name}: its Docker engine did not answer ({exc})") from exc
                time.sleep(1)

    def wait_ray(self, workers: int, timeout: float = 120) -> None:
        """Wait until ``workers`` worker nodes are alive in Ray (asked on the head).

        Raises:
            ClusterError: they were not within ``timeout`` seconds.
        """
        deadline = time.monotonic() + max(timeout, 5)
        count = -1
        while time.monotonic() < deadline:
            count = self.ray_workers()
            if count >= workers:
                return
            time.sleep(2)
        raise ClusterError(f"{count} of {workers} Ray worker nodes joined in time")

    def ray_workers(self) -> int:
        """Alive Ray nodes with the ``swe_env`` resource (asked on the head; -1: no answer)."""
        code = (
            "import ray; ray.init(address='auto', logging_level='ERROR');"
            "print(sum(1 for n in ray.nodes() if n['Alive'] and n['Resources'].get('swe_env')))"
        )
        try:
            head = self.client.containers.get(self.node_name(0))
            done = head.exec_run(["python3", "-c", code])
        except docker.errors.APIError:
            return -1
        lines = done.output.decode(errors="replace").strip().splitlines()
        return int(lines[-1]) if done.exit_code == 0 and lines and lines[-1].isdigit() else -1

    # -- images -------------------------------------------------------------------------
    def load(self, tag: str, names: list[str] | None = None) -> list[Transfer]:
        """Copy image ``tag`` from the host's engine into these workers' (default: all);
        a worker that has it is skipped.

        Raises:
            ImageBuildError: the host lacks the image or a worker refused it.
        """
        return [
            copy_image(self.client, self.engine(n, timeout=600), tag)
            for n in names or self.worker_names
        ]

    # -- faults (for tests) ---------------------------------------------------------------
    def kill(self, name: str) -> None:
        """Kill node ``name``'s container: the node and its engine die at once."""
        try:
            self.client.containers.get(name).kill()
        except docker.errors.APIError:  # "did not receive an exit event": a frozen child
            if not self._thaw_orphans():
                raise
            self.client.containers.get(name).kill()

    def start(self, name: str, timeout: float = 180) -> None:
        """Start a stopped node again (its engine keeps its images on the volume) and wait
        until its engine answers: a caller may use it at once (its Ray node joins later,
        see :meth:`wait_ray`)."""
        self._thaw_orphans()
        self.client.containers.get(name).start()
        self._wait_engine(name, time.monotonic() + timeout)

    def restart_engine(self, name: str) -> None:
        """Stop node ``name``'s Docker engine (SIGTERM to dockerd); the node's supervisor
        starts it again, with every container of the old one gone."""
        done = self.client.containers.get(name).exec_run(
            ["sh", "-c", "kill $(cat /var/run/docker.pid)"]
        )
        if done.exit_code != 0:
            raise ClusterError(f"{name}: stopping dockerd failed: {done.output.decode()[-300:]}")

    def disconnect(self, name: str) -> None:
        """Cut node ``name`` off the private network (a partition)."""
        self.client.networks.get(self.network_name).disconnect(name, force=True)

    def reconnect(self, name: str) -> None:
        """Join node ``name`` to the private network again, at its old address."""
        ip = self.client.containers.get(name).labels[f"{LABEL}.ip"]
        self.client.networks.get(self.network_name).connect(name, ipv4_address=ip)

    def gc(self, name: str) -> str:
        """Run ``swe-env gc`` on node ``name`` (owners are judged by that node's pids)."""
        done = self.client.containers.get(name).exec_run(["swe-env", "gc"])
        return done.output.decode(errors="replace")


_NODE_RIGHTS: dict[str, Any] = {
    "cap_add": ["ALL"],
    "cap_drop": ["SYS_RESOURCE"],
    "security_opt": ["seccomp=unconfined", "apparmor=unconfined"],
    "sysctls": {"net.ipv4.ip_forward": "1"},
}


def _host_client() -> docker.DockerClient:
    try:
        client = docker.from_env(timeout=600)
        client.ping()
    except Exception as exc:
        raise DockerUnavailable(f"the host's Docker engine does not answer: {exc}") from exc
    return client


def _free_subnet(client: docker.DockerClient) -> str:
    used = []
    for net in client.networks.list():
        for cfg in (client.api.inspect_network(net.id).get("IPAM") or {}).get("Config") or []:
            with contextlib.suppress(KeyError, ValueError):
                used.append(ipaddress.ip_network(cfg["Subnet"]))
    for third in range(29, 255):
        candidate = ipaddress.ip_network(f"172.29.{third}.0/24")
        if not any(candidate.overlaps(u) for u in used):
            return str(candidate)
    raise ClusterError("no free 172.29.N.0/24 subnet for the cluster's network")
