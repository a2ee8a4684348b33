"""What our images inherit from the host: its Debian mirror, pip index, CA bundle, proxy.

Nothing here hard-codes a host name. Every value comes from the host's apt sources,
its pip configuration files and its environment, so a build behaves like the host's
own package managers do.
"""

from __future__ import annotations

import configparser
import glob
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEBIAN_SUITES = {"3.9": "bullseye", "3.11": "bookworm", "3.13": "trixie"}
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "no_proxy")
# pip settings worth carrying into an image; host paths (find-links) are not.
PIP_KEYS = ("index-url", "extra-index-url", "trusted-host", "timeout", "default-timeout", "retries")


@dataclass(frozen=True)
class AptSource:
    uri: str
    suites: tuple[str, ...]
    components: tuple[str, ...]


def _parse_deb822(text: str) -> list[AptSource]:
    sources = []
    for stanza in re.split(r"\n\s*\n", text):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        disabled = fields.get("enabled", "").lower() in {"no", "false", "off", "without", "disable"}
        if "deb" not in fields.get("types", "").split() or disabled:
            continue
        for uri in fields.get("uris", "").split():
            sources.append(
                AptSource(
                    uri,
                    tuple(fields.get("suites", "").split()),
                    tuple(fields.get("components", "").split()),
                )
            )
    return sources


def _parse_one_line(text: str) -> list[AptSource]:
    sources = []
    for line in text.splitlines():
        line = re.sub(r"\[[^\]]*\]", "", line.split("#", 1)[0]).split()  # type: ignore[assignment]
        if len(line) >= 3 and line[0] == "deb":
            sources.append(AptSource(line[1], (line[2],), tuple(line[3:])))
    return sources


def apt_sources(root: str = "/") -> list[AptSource]:
    """Every enabled ``deb`` source configured on the host."""
    etc = Path(root, "etc/apt")
    found: list[AptSource] = []
    for path in [str(etc / "sources.list"), *sorted(glob.glob(str(etc / "sources.list.d/*")))]:
        p = Path(path)
        if not p.is_file():
            continue
        text = p.read_text(errors="replace")
        if p.suffix == ".sources":
            found += _parse_deb822(text)
        elif p.suffix == ".list" or p.name == "sources.list":
            found += _parse_one_line(text)
    return found


def debian_mirror(root: str = "/") -> str:
    """The URI of the host's Debian archive (not its security or updates suites).

    ``SWE_ENV_DEBIAN_MIRROR`` overrides it.

    Raises:
        LookupError: no Debian archive is configured on this host.
    """
    override = os.environ.get("SWE_ENV_DEBIAN_MIRROR")
    if override:
        return override
    codenames = {"buster", "bullseye", "bookworm", "trixie", "forky", "sid", "stable", "testing"}
    for src in apt_sources(root):
        if "main" in src.components and any(s in codenames for s in src.suites):
            return src.uri.rstrip("/")
    raise LookupError(
        "no Debian archive found in /etc/apt/sources.list{,.d}; "
        "set SWE_ENV_DEBIAN_MIRROR to your mirror's URL"
    )


@dataclass(frozen=True)
class PipSettings:
    options: dict[str, str] = field(default_factory=dict)
    """``[global]`` options to write into the image's ``/etc/pip.conf``."""
    ca_bundle: Path | None = None
    """The host CA bundle that pip (and our images) should trust."""


def _pip_config_files() -> list[Path]:
    """The files pip reads, in pip's order and by pip's rules: PIP_CONFIG_FILE=/dev/null
    loads none; an existing PIP_CONFIG_FILE replaces the user's files."""
    env_file = os.environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    home = Path.home()
    xdg = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    files = [Path("/etc/xdg/pip/pip.conf"), Path("/etc/pip.conf")]
    if env_file:
        files.append(Path(env_file))
    if not (env_file and Path(env_file).exists()):
        files += [home / ".pip/pip.conf", xdg / "pip/pip.conf"]
    if os.environ.get("VIRTUAL_ENV"):
        files.append(Path(os.environ["VIRTUAL_ENV"]) / "pip.conf")
    return files


def pip_settings() -> PipSettings:
    """The host's pip index, trust and timeout settings (files, then ``PIP_*`` env)."""
    opts: dict[str, str] = {}
    cert: str | None = None
    for path in _pip_config_files():
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path)
        except configparser.Error:
            continue
        for section in ("global", "install", "download"):
            if parser.has_section(section):
                for key, value in parser.items(section):
                    if key in PIP_KEYS:
                        opts[key] = value
                    elif key == "cert":
                        cert = value
    for key in PIP_KEYS:
        env = os.environ.get("PIP_" + key.upper().replace("-", "_"))
        if env:
            opts[key] = env
    cert = os.environ.get("PIP_CERT") or cert
    for var in ("REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"):
        cert = cert or os.environ.get(var)
    bundle = Path(cert) if cert and Path(cert).is_file() else None
    return PipSettings(opts, bundle)


def proxy_env() -> dict[str, str]:
    """The host's proxy variables, for builds that need the network."""
    return {k: v for k in PROXY_VARS if (v := os.environ.get(k))}


IMAGE_CA_BUNDLE = "/etc/swe-env/ca-bundle.crt"

GIT_CONFIG = """[user]
\tname = swe-env
\temail = swe-env@localhost
[safe]
\tdirectory = *
[core]
\texcludesFile = /etc/swe-env/gitignore
[init]
\tdefaultBranch = main
[advice]
\tdetachedHead = false
"""

GIT_IGNORE = "__pycache__/\n*.py[cod]\n.pytest_cache/\n*.egg-info/\n.mypy_cache/\n.tox/\n"


def write_image_overlay(dest: Path) -> None:
    """Write the files every base image carries (pip.conf, git config, CA bundle).

    ``dest`` becomes a tree to copy onto the image's ``/``.
    """
    settings = pip_settings()
    (dest / "etc/swe-env").mkdir(parents=True, exist_ok=True)
    # Multi-line values (several extra-index-urls) become one space-separated line.
    lines = ["[global]"] + [
        f"{k} = {' '.join(v.split())}" for k, v in sorted(settings.options.items())
    ]
    if settings.ca_bundle is not None:
        (dest / IMAGE_CA_BUNDLE.lstrip("/")).write_bytes(settings.ca_bundle.read_bytes())
        lines.append(f"cert = {IMAGE_CA_BUNDLE}")
    lines += ["disable-pip-version-check = true", "no-input = true", ""]
    (dest / "etc/pip.conf").write_text("\n".join(lines))
    (dest / "etc/gitconfig").write_text(GIT_CONFIG)
    (dest / "etc/swe-env/gitignore").write_text(GIT_IGNORE)
