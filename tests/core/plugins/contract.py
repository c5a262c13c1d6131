"""The plugin contract as pure checks: each function returns the problems it finds (empty: fine).

``test_contract.py`` runs them on every plugin package under ``plugins/`` and feeds them bad
examples to prove they catch what they should. The rules are documented in ``docs/hooks.md``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import Table

from core.plugins import CORE_PLUGIN, is_public_core_module

# ------------------------------------------------------------------------------------- tables


def table_problems(name: str, owned: Iterable[Table], core_tables: set[str]) -> list[str]:
    """Owned tables are named ``<name>_…`` and point only at core tables or at their own."""
    owned = list(owned)
    own_names = {t.name for t in owned}
    problems = []
    for table in owned:
        if not table.name.startswith(f"{name}_"):
            problems.append(f"table {table.name!r} of plugin {name!r} must be named '{name}_…'")
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if target not in core_tables and target not in own_names:
                problems.append(
                    f"{table.name}.{fk.parent.name} points at {target!r}, neither core nor {name}'s"
                )
    return problems


# ---------------------------------------------------------------------------------- templates


def template_problems(name: str, templates: Path, core_templates: Path) -> list[str]:
    """Templates live under ``templates/<name>/`` and never shadow a core template."""
    if not templates.is_dir():
        return []
    problems = []
    for path in sorted(p for p in templates.rglob("*") if p.is_file()):
        relative = path.relative_to(templates).as_posix()
        if not relative.startswith(f"{name}/"):
            problems.append(f"template {relative!r} must live under templates/{name}/")
        if (core_templates / relative).exists():
            problems.append(f"template {relative!r} shadows a core template")
    return problems


# ----------------------------------------------------------------------------------- migrations


def migration_problems(
    name: str, migrations: Path, has_tables: bool, script: ScriptDirectory, core_versions: Path
) -> list[str]:
    """A plugin with tables has one Alembic branch in ``migrations/``, rooted on a core revision."""
    if not migrations.is_dir():
        return [f"plugin {name!r} has tables but no migrations/ folder"] if has_tables else []
    revisions = {r.revision: r for r in script.walk_revisions()}
    own = {rev: r for rev, r in revisions.items() if Path(r.path).resolve().parent == migrations.resolve()}
    core = {rev for rev, r in revisions.items() if Path(r.path).resolve().parent == core_versions.resolve()}
    if has_tables and not own:
        return [f"plugin {name!r} has tables but no revision in migrations/"]
    problems = []
    roots = [r for r in own.values() if r.down_revision is None]
    if own and len(roots) != 1:
        problems.append(f"plugin {name!r} must have exactly one root revision, found {len(roots)}")
    for root in roots:
        if set(root.branch_labels) != {name}:
            problems.append(f"revision {root.revision}: branch_labels must be ({name!r},)")
        depends = _as_set(root.dependencies)
        if not depends or not depends <= core:
            problems.append(
                f"revision {root.revision}: depends_on must name core revisions, not {sorted(depends)}"
            )
    for revision in own.values():
        for parent in _as_set(revision.down_revision) | _as_set(revision.dependencies):
            if parent not in own and parent not in core:
                problems.append(
                    f"revision {revision.revision} depends on {parent!r}, outside core and {name}"
                )
    return problems


def _as_set(value: str | Iterable[str] | None) -> set[str]:
    if value is None:
        return set()
    return {value} if isinstance(value, str) else set(value)


# -------------------------------------------------------------------------------------- imports


def imported_modules(source: str, package: str) -> list[tuple[int, str, list[str]]]:
    """``(line, module, names)`` for every import of a module of ``package`` (relative resolved)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")
                if node.level > len(base):
                    module = "." * node.level + module  # escapes the top package: reported as is
                else:
                    parent = base[: len(base) - node.level + 1]
                    module = ".".join([*parent, module] if module else parent)
            found.append((node.lineno, module, [a.name for a in node.names]))
    return found


def import_problems(name: str, files: dict[str, str]) -> list[str]:
    """Plugins never import each other, and import only the core's public modules.

    ``files`` maps a path relative to ``plugins/<name>/`` to its source.
    """
    problems = []
    for relative, source in sorted(files.items()):
        package = f"plugins.{name}" + (
            "" if "/" not in relative else "." + ".".join(relative.split("/")[:-1])
        )
        for line, module, names in imported_modules(source, package):
            where = f"plugins/{name}/{relative}:{line}"
            if module.startswith("."):
                problems.append(f"{where}: relative import {module!r} leaves the plugin")
            elif module == "plugins" or (module.startswith("plugins.") and module.split(".")[1] != name):
                problems.append(f"{where}: imports {module!r}: plugins never import each other")
            elif module == CORE_PLUGIN or module.startswith(f"{CORE_PLUGIN}."):
                if is_public_core_module(module):
                    continue
                private = (
                    [n for n in names if not is_public_core_module(f"{module}.{n}")] if names else [module]
                )
                if private:
                    problems.append(
                        f"{where}: imports {module!r} ({', '.join(private)}), not a public core module"
                    )
    return problems


# --------------------------------------------------------------------------------- module shapes


def _uses_hookimpl(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id == "hookimpl":
            return True
        if isinstance(node, ast.alias) and node.name == "hookimpl":
            return True
    return False


def shape_problems(name: str, files: dict[str, str]) -> list[str]:
    """``__init__.py`` holds a docstring and constants; ``@hookimpl`` appears only in ``hooks.py``."""
    problems = []
    if "hooks.py" not in files:
        problems.append(f"plugins/{name}/hooks.py is missing: it is the module the core registers")
    init = files.get("__init__.py")
    if init is None:
        problems.append(f"plugins/{name}/__init__.py is missing")
    else:
        tree = ast.parse(init)
        if ast.get_docstring(tree) is None:
            problems.append(
                f"plugins/{name}/__init__.py needs a docstring (its first line describes the plugin)"
            )
        for node in tree.body[1:] if ast.get_docstring(tree) is not None else tree.body:
            allowed = (isinstance(node, ast.ImportFrom) and node.module == "__future__") or (
                isinstance(node, ast.Assign | ast.AnnAssign) and isinstance(node.value, ast.Constant)
            )
            if not allowed:
                problems.append(
                    f"plugins/{name}/__init__.py:{node.lineno}: only a docstring and constants belong here"
                )
    for relative, source in sorted(files.items()):
        if relative != "hooks.py" and _uses_hookimpl(ast.parse(source)):
            problems.append(f"plugins/{name}/{relative}: @hookimpl belongs in hooks.py only")
    return problems


def python_files(directory: Path) -> dict[str, str]:
    """Every Python source of a plugin package, by path relative to it."""
    return {
        path.relative_to(directory).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(directory.rglob("*.py"))
    }
