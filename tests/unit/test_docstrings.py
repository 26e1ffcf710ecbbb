"""Every public function and class says why it exists: a maintainer reads the docstring first."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "saae_augment"


def _undocumented(tree: ast.AST, prefix: str = "") -> list[str]:
    found = []
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not node.name.startswith("_"):
            if ast.get_docstring(node) is None:
                found.append(f"{prefix}{node.name} (line {node.lineno})")
            if isinstance(node, ast.ClassDef):
                found += _undocumented(node, f"{prefix}{node.name}.")
    return found


def test_every_public_function_and_class_has_a_docstring():
    missing = [
        f"{path.relative_to(PACKAGE.parent)}: {name}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for name in _undocumented(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not missing, "\n".join(missing)


def test_the_check_finds_a_missing_docstring():
    tree = ast.parse("def shown(): pass\nclass Kept:\n    '''why'''\n    def method(self): pass\ndef _hidden(): pass\n")
    assert _undocumented(tree) == ["shown (line 1)", "Kept.method (line 4)"]
