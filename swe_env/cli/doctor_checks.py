"""The checks of ``swe-env doctor``: each returns one :class:`Check` (a line and a fix).

A check never raises: what goes wrong is its failure line. Only ``required`` checks
make the command exit non-zero; the others are warnings (a slower or partial setup).
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

Status = Literal["ok", "warn", "fail", "skip"]

MIN_FREE_BYTES = 5 * 2**30
"""Below this, builds and containers fail: a required check."""
LOW_FREE_BYTES = 20 * 2**30
"""Below this, a warning: the demo images take about 1 GB, SWE-bench env images far more."""
SLOW_DRIVERS = {"fuse-overlayfs", "vfs"}
PROBE_TIMEOUT = 120
"""Seconds the pip-index probe container may take."""


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, what was found, and how to fix it."""

    name: str
    status: Status
    detail: str
    fix: str = ""
    required: bool = True

    @property
    def failed(self) -> bool:
        """Whether this check makes ``doctor`` exit non-zero."""
        return self.status == "fail" and self.required


def _gib(n: float) -> str:
    return f"{n / 2**30:.1f} GiB"


def check_engine() -> tuple[Check, Any]:
    """The engine answers; returns the check and the client (``None`` on failure)."""
    from swe_env.errors import SweEnvError
    from swe_env.sandbox.docker import docker_client

    try:
        client = docker_client(timeout=30)
        version = client.version()
    except (SweEnvError, OSError, ValueError) as exc:
        return Check(
            "engine",
            "fail",
            str(exc).split(". Start", 1)[0],
            "start dockerd (`sudo dockerd &` or `systemctl start docker`) or set DOCKER_HOST",
        ), None
    return Check(
        "engine", "ok", f"Docker {version.get('Version', '?')} (API {version.get('ApiVersion')})"
    ), client


def check_storage(client: Any, image: str | None) -> Check:
    """The storage driver, and whether it takes ``--storage-opt size`` (a hard disk quota)."""
    import docker.errors

    driver = client.info().get("Driver", "?")
    if image is None:
        return Check("storage", "skip", f"driver {driver}; quota not tried: no base image", "")
    try:
        container = client.containers.create(image, ["true"], storage_opt={"size": "1G"})
    except docker.errors.APIError as exc:
        why = str(getattr(exc, "explanation", None) or exc).splitlines()[0][:160]
        return Check(
            "storage",
            "warn",
            f"driver {driver}; --storage-opt size refused ({why}): the disk budget is "
            "enforced by the watcher instead of a quota",
            "for a hard quota use overlay2 on xfs mounted with pquota",
            required=False,
        )
    with contextlib.suppress(docker.errors.APIError):
        container.remove(force=True)
    if driver in SLOW_DRIVERS:
        return Check(
            "storage",
            "warn",
            f"driver {driver} (slow layer diffs); --storage-opt size works",
            "use overlay2 for faster commits and image builds",
            required=False,
        )
    return Check("storage", "ok", f"driver {driver}; --storage-opt size works")


def check_base_image(client: Any, python: str = "3.11") -> tuple[Check, str | None]:
    """The base image exists; returns the check and its tag (``None`` when missing)."""
    from swe_env.images.bootstrap import base_tag
    from swe_env.images.build import image_exists

    tag = base_tag(python)
    if image_exists(client, tag):
        return Check("base image", "ok", tag), tag
    return Check(
        "base image",
        "fail",
        f"{tag} is missing",
        f"swe-env images bootstrap --python {python}",
    ), None


def check_env_images(client: Any, suite: str = "demo") -> Check:
    """The env images of ``suite`` exist (else the first reset builds them)."""
    from swe_env.images.build import env_tag, image_exists
    from swe_env.tasks.native import load_suite

    try:
        tags = sorted({env_tag(task.environment) for task in load_suite(suite)})
    except (OSError, ValueError) as exc:
        return Check("env images", "warn", f"suite {suite}: {exc}", "", required=False)
    missing = [tag for tag in tags if not image_exists(client, tag)]
    if not missing:
        return Check("env images", "ok", f"{len(tags)} of suite {suite} present")
    return Check(
        "env images",
        "warn",
        f"{len(missing)} of {len(tags)} env image(s) of suite {suite} missing "
        "(the first reset builds them)",
        f"swe-env images build {suite}",
        required=False,
    )


def check_disk(client: Any) -> Check:
    """Free space where the engine keeps its images (the root file system if not local)."""
    root = client.info().get("DockerRootDir") or "/"
    where = root if Path(root).exists() else "/"
    free = shutil.disk_usage(where).free
    detail = f"{_gib(free)} free on {where}"
    if free < MIN_FREE_BYTES:
        fix = "free space: `swe-env gc`, `docker image prune`, or move the engine's data-root"
        return Check("disk", "fail", detail + f" (needs {_gib(MIN_FREE_BYTES)})", fix)
    if free < LOW_FREE_BYTES:
        return Check(
            "disk",
            "warn",
            detail + f" (below {_gib(LOW_FREE_BYTES)}: env images of larger suites may not fit)",
            "free space or move the engine's data-root to a larger disk",
            required=False,
        )
    return Check("disk", "ok", detail)


PIP_PROBE = (
    "python3 -m pip download --no-deps --no-cache-dir --disable-pip-version-check "
    "-q -d /tmp/swe-env-probe pip"
)


def check_pip_index(client: Any, image: str | None) -> Check:
    """The pip index answers from a container started as image builds start theirs
    (the default network, the host's proxy variables, the image's pip.conf)."""
    import docker.errors

    from swe_env.images.hostcfg import pip_settings, proxy_env
    from swe_env.sandbox.docker import owner_labels

    index = pip_settings().options.get("index-url", "pip's default index")
    if image is None:
        return Check("pip index", "skip", f"{index}: not tried, no base image", "")
    container = None
    try:
        container = client.containers.run(
            image,
            ["/bin/sh", "-c", PIP_PROBE],
            detach=True,
            environment=proxy_env(),
            labels=owner_labels(task="doctor pip probe"),
        )
        code = container.wait(timeout=PROBE_TIMEOUT).get("StatusCode", -1)
        log = container.logs().decode(errors="replace").strip().splitlines()
    except (docker.errors.DockerException, OSError) as exc:
        code, log = -1, [str(exc)]
    finally:
        if container is not None:
            with contextlib.suppress(docker.errors.DockerException):
                container.remove(force=True)
    if code == 0:
        return Check("pip index", "ok", f"{index} reachable from a container")
    return Check(
        "pip index",
        "fail",
        f"{index} not reachable from a container (exit {code}: {(log or ['no output'])[-1][:160]})",
        "set index-url in the host's pip.conf (or PIP_INDEX_URL), HTTPS_PROXY, then "
        "`swe-env images bootstrap --force`",
    )


def check_pythons(client: Any) -> Check:
    """Which Python versions images can use: a base image present, or the host's Debian
    mirror serving that version's suite (so ``images bootstrap --python`` can build it)."""
    import httpx

    from swe_env.images.bootstrap import base_tag
    from swe_env.images.build import image_exists
    from swe_env.images.hostcfg import DEBIAN_SUITES, debian_mirror

    try:
        mirror: str | None = debian_mirror()
    except LookupError:
        mirror = None
    parts, missing = [], []
    for python, suite in DEBIAN_SUITES.items():
        if image_exists(client, base_tag(python)):
            parts.append(f"{python} (image)")
            continue
        try:
            ok = (
                mirror is not None
                and httpx.head(
                    f"{mirror}/dists/{suite}/Release", timeout=10, follow_redirects=True
                ).is_success
            )
        except httpx.HTTPError:
            ok = False
        (parts if ok else missing).append(f"{python} (mirror)" if ok else python)
    if not missing:
        return Check("pythons", "ok", ", ".join(parts))
    fix = "set SWE_ENV_DEBIAN_MIRROR to a Debian mirror that carries " + ", ".join(
        DEBIAN_SUITES[p] for p in missing
    )
    detail = ", ".join(parts) or "none"
    return Check(
        "pythons", "warn", f"{detail}; unavailable: {', '.join(missing)}", fix, required=False
    )


def _guarded(name: str, check: Callable[[], Check]) -> Check:
    """``check()``, or its failure line when the engine answers with an error."""
    try:
        return check()
    except Exception as exc:  # a check never crashes the report
        return Check(name, "fail", f"the check itself failed: {type(exc).__name__}: {exc}")


def run_checks(progress: Callable[[str], None] = lambda _: None) -> list[Check]:
    """Every check, in order; those that need the engine or the base image are skipped
    (and said so) when it is missing. ``progress`` gets the name of each check begun."""
    progress("engine")
    engine, client = check_engine()
    if client is None:
        return [engine]
    image: str | None = None

    def base_check() -> Check:
        nonlocal image
        check, image = check_base_image(client)
        return check

    base = _guarded("base image", base_check)
    steps: list[tuple[str, Callable[[], Check]]] = [
        ("storage", lambda: check_storage(client, image)),
        ("base image", lambda: base),
        ("env images", lambda: check_env_images(client)),
        ("disk", lambda: check_disk(client)),
        ("pip index", lambda: check_pip_index(client, image)),
        ("pythons", lambda: check_pythons(client)),
    ]
    checks = [engine]
    for name, check in steps:
        progress(name)
        checks.append(_guarded(name, check))
    return checks
