"""swe_env.patch: the one diff reader (quoted paths, binary chunks, lenient scans)."""

from __future__ import annotations

import pytest

from swe_env.patch import PatchError, added_lines, file_chunks, hunk_texts, touched_paths

QUOTED = (
    'diff --git "a/pkg/\\303\\251 x.py" "b/pkg/\\303\\251 x.py"\n'
    "index 7898192..6178079 100644\n"
    '--- "a/pkg/\\303\\251 x.py"\n'
    '+++ "b/pkg/\\303\\251 x.py"\n'
    "@@ -1 +1 @@\n-a\n+b\n"
)
BINARY = (
    "diff --git a/b.bin b/b.bin\nindex 88768ef..3e3315e 100644\nGIT binary patch\n"
    "literal 5\nMcmZQzO3KUw00MIXJOBUy\n\nliteral 5\nMcmZQzOv=my00M6TI{*Lx\n\n"
)


def test_quoted_paths_are_unquoted_everywhere():
    assert touched_paths(QUOTED) == ["pkg/é x.py"]
    assert list(file_chunks(QUOTED)) == ["pkg/é x.py"]  # the old replay regex lost these
    assert hunk_texts(QUOTED) == {"pkg/é x.py": "-a\n+b\n"}
    assert list(added_lines(QUOTED)) == [("pkg/é x.py", 1, "b")]


def test_binary_chunks_are_kept_byte_for_byte():
    chunks = file_chunks(BINARY + QUOTED)
    assert chunks["b.bin"] == BINARY and chunks["pkg/é x.py"] == QUOTED


def test_unreadable_patch_is_a_patch_error_but_scans_still_see_it():
    broken = "--- a/m.py\n+++ b/m.py\n@@ -1,9 +1,9 @@\n+import _pytest\n"
    with pytest.raises(PatchError):
        hunk_texts("@@ -1,2 +1,2 @@\n garbage without a file header\n")
    assert list(added_lines(broken)) == [("m.py", 1, "import _pytest")]
    assert touched_paths(broken) == ["m.py"]


def test_test_patch_paths_are_never_swallowed():
    from swe_env.tasks.spec import TaskSpec

    # A test patch unidiff rejects (counts off) still owns its paths; it used to own none.
    bad = (
        "diff --git a/tests/t.py b/tests/t.py\n--- a/tests/t.py\n+++ b/tests/t.py\n"
        "@@ -1,5 +1,5 @@\n+x\n"
    )
    spec = TaskSpec.model_construct(hidden_tests={"tests/h.py": "x"}, test_patch=bad)
    assert spec.test_paths() == ["tests/h.py", "tests/t.py"]
