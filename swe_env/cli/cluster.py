"""``swe-env cluster …``: a multi-node Ray cluster on this machine, one engine per node."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from swe_env.cli.common import console, fail, out
from swe_env.errors import SweEnvError

app = typer.Typer(
    help="A test cluster on this machine: a Ray head and worker nodes as containers on a "
    "private network, each worker with its own Docker engine (docker-in-docker).",
    no_args_is_help=True,
)

NameOpt = Annotated[str, typer.Option("--name", help="The cluster's name (prefix of everything).")]


def _cluster(name: str, workers: int = 2, **kwargs: object):
    from pydantic import ValidationError

    from swe_env.cluster.local import ClusterConfig, LocalCluster

    try:
        return LocalCluster(ClusterConfig(name=name, workers=workers, **kwargs))  # type: ignore[arg-type]
    except ValidationError as exc:
        fail(exc.errors()[0]["msg"] + f" ({exc.errors()[0]['loc'][0]})")
    except SweEnvError as exc:
        fail(exc)


@app.command("up")
def up(
    name: NameOpt = "swe-env-cluster",
    workers: Annotated[int, typer.Option(help="Ray worker nodes (each with an engine).")] = 2,
    node_cpus: Annotated[int, typer.Option(help="CPUs each worker offers to Ray.")] = 2,
    storage_driver: Annotated[
        str, typer.Option(help="Storage driver of the nodes' engines (overlay2 or vfs).")
    ] = "overlay2",
    preload: Annotated[
        list[str] | None,
        typer.Option("--preload", help="Also copy this image from the host (repeatable)."),
    ] = None,
) -> None:
    """Start the cluster (building the node image first if needed: minutes the first
    time) and wait until every worker has joined Ray with the base image loaded.

    Then run rollouts on it with `swe-env rollout --ray-address ray://HEAD_IP:10001
    --ray-resource swe_env` (the address is printed at the end; the resource keeps
    episodes off the head, which has no engine).
    """
    cluster = _cluster(
        name, workers, node_cpus=node_cpus, storage_driver=storage_driver, preload=preload or []
    )
    try:
        with console.status("starting the cluster") as status:
            cluster.up(progress=lambda line: status.update(f"[bold]cluster[/] {line[-100:]}"))
    except SweEnvError as exc:
        fail(exc)
    console.print(f"[green]✓[/] cluster {name} is up")
    out.print(cluster.address)


@app.command("down")
def down(name: NameOpt = "swe-env-cluster") -> None:
    """Remove the cluster's containers, their engines' volumes and its network."""
    cluster = _cluster(name)
    removed = cluster.down()
    console.print(f"[green]✓[/] cluster {name}: removed {removed} objects")


@app.command("status")
def status(name: NameOpt = "swe-env-cluster") -> None:
    """List the cluster's nodes, their addresses and state, and the Ray workers alive."""
    cluster = _cluster(name)
    nodes = cluster.nodes()
    if not nodes:
        fail(f"no cluster named {name!r} is running (start one with `swe-env cluster up`)")
    table = Table("node", "role", "address", "state")
    for node in nodes:
        table.add_row(node.name, node.role, node.ip, node.status)
    out.print(table)
    out.print(f"Ray worker nodes alive: {cluster.ray_workers()}")


@app.command("load")
def load(
    images: Annotated[list[str], typer.Argument(help="Image tags on this host's engine.")],
    name: NameOpt = "swe-env-cluster",
) -> None:
    """Copy images from this host's engine into every worker's engine (docker save | load,
    no registry); a worker that has an image already is skipped."""
    cluster = _cluster(name)
    if not cluster.nodes():
        fail(f"no cluster named {name!r} is running (start one with `swe-env cluster up`)")
    for tag in images:
        try:
            for moved in cluster.load(tag):
                verb = (
                    "had it"
                    if moved.skipped
                    else f"{moved.bytes / 1e6:.0f} MB in {moved.seconds:.1f} s"
                )
                console.print(f"[green]✓[/] {tag}: {verb}")
        except SweEnvError as exc:
            fail(exc)
