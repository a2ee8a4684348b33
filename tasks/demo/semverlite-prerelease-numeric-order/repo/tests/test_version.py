import pytest

from semverlite import InvalidVersion, Version


def test_parse_full():
    v = Version.parse("1.4.0-rc.1+build.7")
    assert (v.major, v.minor, v.patch) == (1, 4, 0)
    assert v.prerelease == ("rc", "1")
    assert v.build == ("build", "7")
    assert str(v) == "1.4.0-rc.1+build.7"


def test_parse_leading_v():
    assert Version.parse("v2.0.1") == Version(2, 0, 1)


def test_invalid():
    for text in ["1.2", "01.2.3", "1.2.3-", "1.2.3-01", "a.b.c", "1.2.3+"]:
        with pytest.raises(InvalidVersion):
            Version.parse(text)


def test_release_ordering():
    assert Version.parse("1.2.3") < Version.parse("1.2.10")
    assert Version.parse("1.10.0") > Version.parse("1.9.9")
    assert Version.parse("2.0.0") > "1.99.99"


def test_prerelease_before_release():
    assert Version.parse("1.0.0-alpha") < Version.parse("1.0.0")


def test_prerelease_alphanumeric_order():
    assert Version.parse("1.0.0-alpha") < Version.parse("1.0.0-beta")
    assert Version.parse("1.0.0-beta") < Version.parse("1.0.0-rc")


def test_shorter_prerelease_sorts_first():
    assert Version.parse("1.0.0-alpha") < Version.parse("1.0.0-alpha.1")


def test_numeric_identifier_before_alphanumeric():
    assert Version.parse("1.0.0-alpha.1") < Version.parse("1.0.0-alpha.beta")


def test_single_digit_numeric_identifiers():
    assert Version.parse("1.0.0-beta.2") < Version.parse("1.0.0-beta.3")


def test_build_metadata_ignored():
    assert Version.parse("1.0.0+a") == Version.parse("1.0.0+b")
    assert hash(Version.parse("1.0.0+a")) == hash(Version.parse("1.0.0"))


def test_bump():
    v = Version.parse("1.2.3")
    assert v.bump("major") == Version(2)
    assert v.bump("minor") == Version(1, 3)
    assert v.bump("patch") == Version(1, 2, 4)
    assert Version.parse("1.2.3-rc.1").bump("patch") == Version(1, 2, 3)


def test_immutable():
    with pytest.raises(AttributeError):
        Version(1).major = 2
