import pytest

import inicfg
from inicfg import MissingOptionError

SAMPLE = """
threads = 4
[server]
host = localhost
port = 8080
debug: yes
ratio = 0.25
tags = web, api ,  internal
[worker]
threads = 8
"""


@pytest.fixture
def cfg():
    return inicfg.loads(SAMPLE)


def test_sections(cfg):
    assert cfg.sections() == ["server", "worker"]
    assert "server" in cfg
    assert "DEFAULT" not in cfg


def test_get(cfg):
    assert cfg.get("server", "host") == "localhost"
    assert cfg.get("server", "HOST") == "localhost"


def test_typed_getters(cfg):
    assert cfg.getint("server", "port") == 8080
    assert cfg.getfloat("server", "ratio") == 0.25
    assert cfg.getboolean("server", "debug") is True


def test_getlist(cfg):
    assert cfg.getlist("server", "tags") == ["web", "api", "internal"]


def test_defaults_are_inherited(cfg):
    assert cfg.getint("server", "threads") == 4
    assert cfg.getint("worker", "threads") == 8


def test_missing_option_raises(cfg):
    with pytest.raises(MissingOptionError):
        cfg.get("server", "nope")
    with pytest.raises(KeyError):
        cfg.get("nosuch", "host")


def test_fallback(cfg):
    assert cfg.get("server", "nope", fallback=None) is None
    assert cfg.getint("server", "nope", fallback=3) == 3


def test_invalid_boolean(cfg):
    with pytest.raises(ValueError):
        cfg.getboolean("server", "host")


def test_as_dict(cfg):
    d = cfg.as_dict()
    assert d["worker"] == {"threads": "8"}
    assert d["server"]["threads"] == "4"


def test_load_from_file(tmp_path):
    path = tmp_path / "app.ini"
    path.write_text("[a]\nx = 1\n", encoding="utf-8")
    assert inicfg.load(path).getint("a", "x") == 1
