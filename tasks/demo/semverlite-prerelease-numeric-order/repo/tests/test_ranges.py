from semverlite import Range, max_satisfying, min_satisfying


def test_comparators():
    r = Range(">=1.2.0 <2.0.0")
    assert r.contains("1.2.0")
    assert r.contains("1.9.9")
    assert not r.contains("2.0.0")
    assert not r.contains("1.1.9")


def test_caret():
    assert Range("^1.2.3").contains("1.9.0")
    assert not Range("^1.2.3").contains("2.0.0")
    assert Range("^0.2.3").contains("0.2.9")
    assert not Range("^0.2.3").contains("0.3.0")
    assert not Range("^0.0.3").contains("0.0.4")


def test_tilde():
    assert Range("~1.2.3").contains("1.2.9")
    assert not Range("~1.2.3").contains("1.3.0")
    assert Range("~1").contains("1.9.0")


def test_wildcards():
    assert Range("1.2.x").contains("1.2.7")
    assert not Range("1.2.x").contains("1.3.0")
    assert Range("*").contains("7.0.0")


def test_alternatives():
    r = Range("^1.0.0 || >=3.0.0")
    assert r.contains("1.5.0")
    assert not r.contains("2.5.0")
    assert "3.1.0" in r


def test_prereleases_excluded_by_default():
    assert not Range(">=1.0.0").contains("1.1.0-beta")
    assert Range(">=1.1.0-alpha").contains("1.1.0-beta")


def test_invalid_version_is_not_contained():
    assert not Range("*").contains("not-a-version")


def test_max_min_satisfying():
    versions = ["1.0.0", "1.3.2", "1.3.10", "2.0.0"]
    assert str(max_satisfying(versions, "~1.3")) == "1.3.10"
    assert str(min_satisfying(versions, "^1.0.0")) == "1.0.0"
    assert max_satisfying(versions, ">=3.0.0") is None


def test_max_satisfying_prerelease_single_digits():
    versions = ["2.0.0-rc.1", "2.0.0-rc.2", "2.0.0-rc.3"]
    assert str(max_satisfying(versions, ">=2.0.0-rc.1")) == "2.0.0-rc.3"
