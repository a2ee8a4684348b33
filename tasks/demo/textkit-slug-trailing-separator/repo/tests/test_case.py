from textkit import split_words, to_camel, to_kebab, to_pascal, to_snake


def test_split_words_acronym():
    assert split_words("HTTPServerError") == ["HTTP", "Server", "Error"]


def test_split_words_mixed_separators():
    assert split_words("user_id-value") == ["user", "id", "value"]


def test_to_snake():
    assert to_snake("HTTPServerError") == "http_server_error"
    assert to_snake("userId") == "user_id"


def test_to_kebab():
    assert to_kebab("userId") == "user-id"


def test_to_pascal_and_camel():
    assert to_pascal("user_id") == "UserId"
    assert to_camel("user_id") == "userId"
    assert to_camel("HTTP_status") == "httpStatus"


def test_digits():
    assert to_snake("version2Name") == "version_2_name"
