"""The tamper scan over submitted patches."""

from __future__ import annotations

from rewards.grade import is_protected
from rewards.tamper import scan_patch

PATCH = """diff --git a/pkg/core.py b/pkg/core.py
--- a/pkg/core.py
+++ b/pkg/core.py
@@ -10,3 +10,6 @@ def f():
     return 1
-x = 1
+x = 2
+import _pytest.reports
+from pytest import hookimpl
+y = "no harness here"
diff --git a/tests/conftest.py b/tests/conftest.py
--- /dev/null
+++ b/tests/conftest.py
@@ -0,0 +1 @@
+import _pytest
"""


def test_findings_name_file_line_and_reason():
    findings = scan_patch(PATCH, is_protected)
    assert findings == [
        "pkg/core.py:12: imports pytest internals (_pytest)",
        "pkg/core.py:13: registers a pytest hook",
    ]


def test_protected_files_are_left_to_restoration():
    assert not any("conftest" in f for f in scan_patch(PATCH, is_protected))
    assert any("tests/conftest.py" in f for f in scan_patch(PATCH))


def test_ordinary_fixes_are_clean():
    clean = "--- a/m.py\n+++ b/m.py\n@@ -1 +1 @@\n-pos = max(p)\n+pos = min(p)\n"
    assert scan_patch(clean, is_protected) == []
    assert scan_patch("", is_protected) == []
