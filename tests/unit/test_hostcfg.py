"""Unit tests for what images inherit from the host: apt mirror, pip settings, overlay.

Apt sources are read from a fake root in ``tmp_path``. Pip settings come from files under
a fake ``HOME`` and ``PIP_CONFIG_FILE``; the host's system-wide files (``/etc/pip.conf``,
which this machine has) are left out so that the tests do not depend on the host.
"""

from __future__ import annotations

import configparser
import os
from pathlib import Path

import pytest

from swe_env.images import hostcfg
from swe_env.images.hostcfg import (
    GIT_CONFIG,
    GIT_IGNORE,
    IMAGE_CA_BUNDLE,
    AptSource,
    apt_sources,
    debian_mirror,
    pip_settings,
    proxy_env,
    write_image_overlay,
)

# -- apt sources -----------------------------------------------------------------------

DEBIAN_SOURCES = """\
Types: deb
URIs: http://security.example.org/debian-security
Suites: bookworm-security
Components: main non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb deb-src
# a comment inside the stanza
URIs: http://mirror.example.org/debian/
Suites: bookworm bookworm-updates
Components: main contrib non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"""


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWE_ENV_DEBIAN_MIRROR", raising=False)


def fake_root(tmp_path: Path, files: dict[str, str]) -> str:
    for rel, text in files.items():
        path = tmp_path / "root" / "etc/apt" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (tmp_path / "root" / "etc/apt").mkdir(parents=True, exist_ok=True)
    return str(tmp_path / "root")


def test_deb822_picks_the_main_archive_not_security(tmp_path: Path) -> None:
    root = fake_root(tmp_path, {"sources.list.d/debian.sources": DEBIAN_SOURCES})
    assert debian_mirror(root=root) == "http://mirror.example.org/debian"
    sources = apt_sources(root)
    assert sources[0] == AptSource(
        "http://security.example.org/debian-security",
        ("bookworm-security",),
        ("main", "non-free-firmware"),
    )
    assert sources[1].suites == ("bookworm", "bookworm-updates")


def test_deb822_disabled_stanza_is_ignored(tmp_path: Path) -> None:
    disabled = (
        "Types: deb\nURIs: http://disabled.example.org/debian\nSuites: bookworm\n"
        "Components: main\nEnabled: no\n\n"
    )
    root = fake_root(tmp_path, {"sources.list.d/debian.sources": disabled + DEBIAN_SOURCES})
    assert debian_mirror(root=root) == "http://mirror.example.org/debian"
    assert all("disabled" not in s.uri for s in apt_sources(root))


@pytest.mark.parametrize("value", ["No", "false"])
def test_deb822_disabled_stanza_any_boolean_spelling(tmp_path: Path, value: str) -> None:
    disabled = (
        "Types: deb\nURIs: http://disabled.example.org/debian\nSuites: bookworm\n"
        f"Components: main\nEnabled: {value}\n\n"
    )
    root = fake_root(tmp_path, {"sources.list.d/debian.sources": disabled + DEBIAN_SOURCES})
    assert debian_mirror(root=root) == "http://mirror.example.org/debian"


def test_deb822_deb_src_only_stanza_is_ignored(tmp_path: Path) -> None:
    text = (
        "Types: deb-src\nURIs: http://src.example.org/debian\nSuites: bookworm\n"
        "Components: main\n\n" + DEBIAN_SOURCES
    )
    root = fake_root(tmp_path, {"sources.list.d/debian.sources": text})
    assert debian_mirror(root=root) == "http://mirror.example.org/debian"


def test_one_line_format_with_options_and_comments(tmp_path: Path) -> None:
    text = (
        "# deb http://commented.example.org/debian bookworm main\n"
        "deb-src http://src.example.org/debian bookworm main\n"
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg arch=amd64] "
        "http://security.example.org/debian-security bookworm-security main\n"
        "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] "
        "http://deb.example.org/debian/ bookworm main contrib  # trailing comment\n"
        "deb http://deb.example.org/debian bookworm-updates main\n"
    )
    root = fake_root(tmp_path, {"sources.list": text})
    assert debian_mirror(root=root) == "http://deb.example.org/debian"
    sources = apt_sources(root)
    assert [s.uri for s in sources] == [
        "http://security.example.org/debian-security",
        "http://deb.example.org/debian/",
        "http://deb.example.org/debian",
    ]
    assert sources[1] == AptSource(
        "http://deb.example.org/debian/", ("bookworm",), ("main", "contrib")
    )


def test_one_line_files_in_sources_list_d(tmp_path: Path) -> None:
    root = fake_root(
        tmp_path,
        {
            "sources.list.d/backup.list.save": "deb http://save.example.org/debian bookworm main\n",
            "sources.list.d/debian.list": "deb http://list.example.org/debian trixie main\n",
        },
    )
    assert debian_mirror(root=root) == "http://list.example.org/debian"
    assert [s.uri for s in apt_sources(root)] == ["http://list.example.org/debian"]


def test_security_and_updates_only_is_a_lookup_error(tmp_path: Path) -> None:
    text = (
        "deb http://security.example.org/debian-security bookworm-security main\n"
        "deb http://deb.example.org/debian bookworm-updates main\n"
        "deb http://deb.example.org/debian bookworm contrib\n"  # no main component
    )
    root = fake_root(tmp_path, {"sources.list": text})
    with pytest.raises(LookupError, match="SWE_ENV_DEBIAN_MIRROR"):
        debian_mirror(root=root)


def test_no_sources_is_a_lookup_error(tmp_path: Path) -> None:
    root = fake_root(tmp_path, {})
    assert apt_sources(root) == []
    with pytest.raises(LookupError):
        debian_mirror(root=root)


def test_env_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SWE_ENV_DEBIAN_MIRROR", "http://override.example.org/debian")
    assert debian_mirror(root=fake_root(tmp_path, {})) == "http://override.example.org/debian"
    root = fake_root(tmp_path, {"sources.list.d/debian.sources": DEBIAN_SOURCES})
    assert debian_mirror(root=root) == "http://override.example.org/debian"


# -- pip settings ----------------------------------------------------------------------

PIP_CONF = """\
[global]
index-url = https://pypi.example.org/simple
extra-index-url = https://extra.example.org/simple
trusted-host = pypi.example.org
timeout = 30
find-links = /srv/wheels
cert = {cert}

[install]
retries = 7
no-binary = :none:
"""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake HOME, no PIP_* / CA variables, and no system-wide pip files."""
    for var in list(os.environ):
        if var.startswith("PIP_") or var in {
            "REQUESTS_CA_BUNDLE",
            "SSL_CERT_FILE",
            "VIRTUAL_ENV",
            "XDG_CONFIG_HOME",
        }:
            monkeypatch.delenv(var)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    files = hostcfg._pip_config_files
    monkeypatch.setattr(
        hostcfg,
        "_pip_config_files",
        lambda: [p for p in files() if not p.is_relative_to("/etc")],
    )
    return home


def write_conf(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    path = tmp_path / "corp-ca.pem"
    path.write_bytes(b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    return path


def test_the_fake_home_is_used(home: Path) -> None:
    files = hostcfg._pip_config_files()
    assert home / ".config/pip/pip.conf" in files
    assert home / ".pip/pip.conf" in files
    assert not any(p.is_relative_to("/etc") for p in files)


def test_pip_conf_in_home(home: Path, bundle: Path) -> None:
    write_conf(home / ".config/pip/pip.conf", PIP_CONF.format(cert=bundle))
    settings = pip_settings()
    assert settings.options == {
        "index-url": "https://pypi.example.org/simple",
        "extra-index-url": "https://extra.example.org/simple",
        "trusted-host": "pypi.example.org",
        "timeout": "30",
        "retries": "7",
    }
    assert "find-links" not in settings.options  # a host path: useless in an image
    assert settings.ca_bundle == bundle


def test_no_config_gives_empty_settings(home: Path) -> None:
    settings = pip_settings()
    assert settings.options == {}
    assert settings.ca_bundle is None


def test_new_user_file_overrides_legacy(home: Path) -> None:
    write_conf(home / ".pip/pip.conf", "[global]\nindex-url = https://legacy/simple\ntimeout = 9\n")
    write_conf(home / ".config/pip/pip.conf", "[global]\nindex-url = https://new/simple\n")
    assert pip_settings().options == {"index-url": "https://new/simple", "timeout": "9"}


def test_xdg_config_home(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    write_conf(tmp_path / "xdg/pip/pip.conf", "[global]\nindex-url = https://xdg/simple\n")
    assert pip_settings().options == {"index-url": "https://xdg/simple"}


def test_pip_config_file_overrides_home(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_conf(home / ".config/pip/pip.conf", "[global]\nindex-url = https://home/simple\n")
    env_file = write_conf(tmp_path / "env-pip.conf", "[global]\nindex-url = https://env/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    assert pip_settings().options["index-url"] == "https://env/simple"


def test_pip_config_file_replaces_user_files(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_conf(home / ".config/pip/pip.conf", "[global]\nindex-url = https://home/simple\n")
    env_file = write_conf(tmp_path / "env-pip.conf", "[global]\ntimeout = 5\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", str(env_file))
    assert pip_settings().options == {"timeout": "5"}


def test_pip_config_file_devnull_disables_files(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_conf(home / ".config/pip/pip.conf", "[global]\nindex-url = https://home/simple\n")
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    assert pip_settings().options == {}


def test_env_vars_override_files(
    home: Path, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_conf(home / ".config/pip/pip.conf", PIP_CONF.format(cert=tmp_path / "missing.pem"))
    monkeypatch.setenv("PIP_INDEX_URL", "https://from-env/simple")
    monkeypatch.setenv("PIP_TRUSTED_HOST", "from-env")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "60")
    monkeypatch.setenv("PIP_FIND_LINKS", "/srv/other-wheels")
    monkeypatch.setenv("PIP_CERT", str(bundle))
    settings = pip_settings()
    assert settings.options["index-url"] == "https://from-env/simple"
    assert settings.options["trusted-host"] == "from-env"
    assert settings.options["default-timeout"] == "60"
    assert "find-links" not in settings.options
    assert settings.ca_bundle == bundle


@pytest.mark.parametrize("var", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_ca_bundle_from_tls_variables(
    home: Path, bundle: Path, monkeypatch: pytest.MonkeyPatch, var: str
) -> None:
    monkeypatch.setenv(var, str(bundle))
    assert pip_settings().ca_bundle == bundle


def test_pip_cert_beats_tls_variables(
    home: Path, bundle: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other.pem"
    other.write_text("other")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other))
    write_conf(home / ".config/pip/pip.conf", f"[global]\ncert = {bundle}\n")
    assert pip_settings().ca_bundle == bundle


def test_missing_cert_file_is_no_bundle(home: Path, tmp_path: Path) -> None:
    write_conf(home / ".config/pip/pip.conf", f"[global]\ncert = {tmp_path / 'nope.pem'}\n")
    assert pip_settings().ca_bundle is None


def test_unparseable_file_is_skipped(home: Path) -> None:
    write_conf(home / ".pip/pip.conf", "index-url = no section header\n")
    write_conf(home / ".config/pip/pip.conf", "[global]\ntimeout = 3\n")
    assert pip_settings().options == {"timeout": "3"}


def test_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in hostcfg.PROXY_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.org:3128")
    monkeypatch.setenv("no_proxy", "localhost")
    monkeypatch.setenv("HTTP_PROXY", "")
    assert proxy_env() == {"HTTPS_PROXY": "http://proxy.example.org:3128", "no_proxy": "localhost"}


# -- the image overlay -----------------------------------------------------------------


def read_pip_conf(dest: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string((dest / "etc/pip.conf").read_text())
    return dict(parser["global"])


def test_overlay_without_bundle(home: Path, tmp_path: Path) -> None:
    write_conf(home / ".config/pip/pip.conf", PIP_CONF.format(cert=tmp_path / "missing.pem"))
    dest = tmp_path / "overlay"
    write_image_overlay(dest)
    conf = read_pip_conf(dest)
    assert conf["index-url"] == "https://pypi.example.org/simple"
    assert conf["trusted-host"] == "pypi.example.org"
    assert conf["disable-pip-version-check"] == "true"
    assert "cert" not in conf
    assert "find-links" not in conf
    assert not (dest / IMAGE_CA_BUNDLE.lstrip("/")).exists()
    assert (dest / "etc/gitconfig").read_text() == GIT_CONFIG
    assert (dest / "etc/swe-env/gitignore").read_text() == GIT_IGNORE


def test_overlay_with_bundle(home: Path, bundle: Path, tmp_path: Path) -> None:
    write_conf(home / ".config/pip/pip.conf", PIP_CONF.format(cert=bundle))
    dest = tmp_path / "overlay"
    write_image_overlay(dest)
    conf = read_pip_conf(dest)
    assert conf["cert"] == IMAGE_CA_BUNDLE == "/etc/swe-env/ca-bundle.crt"
    assert (dest / "etc/swe-env/ca-bundle.crt").read_bytes() == bundle.read_bytes()
    assert str(bundle) not in (dest / "etc/pip.conf").read_text()  # no host path leaks


def test_overlay_without_any_pip_config(home: Path, tmp_path: Path) -> None:
    dest = tmp_path / "overlay"
    write_image_overlay(dest)
    assert read_pip_conf(dest) == {"disable-pip-version-check": "true", "no-input": "true"}
    git = configparser.ConfigParser()
    git.read_string((dest / "etc/gitconfig").read_text())
    assert git["core"]["excludesfile"] == "/etc/swe-env/gitignore"
    assert git["safe"]["directory"] == "*"
    assert "__pycache__/" in (dest / "etc/swe-env/gitignore").read_text().splitlines()


def test_overlay_keeps_multi_line_values(home: Path, tmp_path: Path) -> None:
    write_conf(
        home / ".config/pip/pip.conf",
        "[global]\nextra-index-url =\n    https://a.example.org/simple\n"
        "    https://b.example.org/simple\ntrusted-host =\n    a.example.org\n    b.example.org\n",
    )
    dest = tmp_path / "overlay"
    write_image_overlay(dest)
    conf = read_pip_conf(dest)  # raises configparser.DuplicateOptionError today
    assert conf["extra-index-url"].split() == [
        "https://a.example.org/simple",
        "https://b.example.org/simple",
    ]
    assert conf["trusted-host"].split() == ["a.example.org", "b.example.org"]
