"""The import rule of ``admin_app/views/``: a view module never imports another view module.

Views share code through the secure base (``base.py``) and the shared modules beside it
(``widgets.py``, ``uploads.py``, ``fields.py``, ``options.py``, ``sections.py``,
``export.py``), or through the services in ``admin_app``. Only the registration
(``views/__init__.py``) imports the view modules.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

from flask_admin import BaseView

from admin_app.views import SCREENS
from admin_app.views.index import DashboardView

VIEWS_DIR = Path(__file__).resolve().parent.parent / "admin_app" / "views"
SHARED = {"base", "widgets", "uploads", "fields", "options", "sections", "export"}


def view_modules() -> set[str]:
    """The modules of views/ that define a screen (a registered view class)."""
    classes = [screen.view for screen in SCREENS] + [DashboardView]
    return {cls.__module__.rsplit(".", 1)[1] for cls in classes}


def sibling_imports(source: str) -> list[tuple[int, str]]:
    """Every ``from .x import …`` and ``from . import x`` of a file, at any depth."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.append((node.lineno, node.module.split(".")[0]))
            else:
                found.extend((node.lineno, alias.name) for alias in node.names)
    return found


def violations() -> list[str]:
    views = view_modules()
    problems = []
    for path in sorted(VIEWS_DIR.glob("*.py")):
        if path.name == "__init__.py":
            continue
        for line, module in sibling_imports(path.read_text(encoding="utf-8")):
            if module in views:
                problems.append(f"{path.name}:{line} imports the view module {module}")
    return problems


def test_no_view_module_imports_another():
    assert violations() == []


def test_the_shared_modules_define_no_screen():
    assert not SHARED & view_modules()
    for name in view_modules():
        assert (VIEWS_DIR / f"{name}.py").is_file(), name


def test_every_view_class_is_a_screen_or_the_secure_base():
    """A new view class in a shared module would escape the rule above."""
    screens = {screen.view for screen in SCREENS} | {DashboardView}
    for path in sorted(VIEWS_DIR.glob("*.py")):
        module = importlib.import_module(f"admin_app.views.{path.stem}")
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseView)
                and value.__module__ == module.__name__
                and path.stem != "base"
            ):
                assert value in screens, f"{path.name}: {value.__name__}"


def test_the_rule_catches_an_import_of_a_view(tmp_path):
    """The control: the parser sees both spellings, at module level and inside a function."""
    source = "from .case import CaseView\n\ndef f():\n    from . import reports\n"
    assert sibling_imports(source) == [(1, "case"), (4, "reports")]
    assert {"case", "reports", "ranking", "data_import", "child"} <= view_modules()
