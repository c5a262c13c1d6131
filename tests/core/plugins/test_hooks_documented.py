"""Meta-test: every hookspec is typed, has a docstring, a section in ``docs/hooks.md`` whose code
block is its exact signature, and at least one test.

Test convention (checked here by collecting the whole suite): a test of hook ``reseau_<x>`` is
named ``test_hook_<x>`` or ``test_hook_<x>_<anything>``, anywhere under ``tests/``. When a name
could belong to two hooks (``nav_items`` and ``nav_items_extra``), the longest hook name wins.
"""

from __future__ import annotations

import ast
import inspect
import re
import subprocess
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from core import PROJECT_NAME, hookspecs

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "hooks.md"
PREFIX = "reseau_"

_SECTION = re.compile(r"^## `(\w+)`[ \t]*$", re.MULTILINE)
_ANY_H2 = re.compile(r"^## ", re.MULTILINE)
_CODE = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Signature:
    """A hook signature reduced to what must match: parameter names and annotations, return type."""

    params: tuple[tuple[str, str], ...]
    returns: str

    def render(self) -> str:
        return f"({', '.join(f'{n}: {a}' for n, a in self.params)}) -> {self.returns}"


def _normal(annotation: str) -> str:
    """One spelling per annotation: ``Contact|None`` and ``Contact | None`` are the same."""
    return ast.unparse(ast.parse(annotation, mode="eval"))


def hookspec_functions() -> dict[str, Callable[..., Any]]:
    """Every hookspec of ``core.hookspecs``, by name."""
    return {
        name: fn
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(fn, f"{PROJECT_NAME}_spec")
    }


def code_signature(fn: Callable[..., Any]) -> Signature:
    """The signature in the code (annotations are strings: ``from __future__ import annotations``)."""
    sig = inspect.signature(fn)
    params = []
    for param in sig.parameters.values():
        assert param.annotation is not inspect.Parameter.empty, (
            f"{fn.__name__}: untyped parameter {param.name}"
        )
        assert param.default is inspect.Parameter.empty, f"{fn.__name__}: {param.name} has a default"
        params.append((param.name, _normal(str(param.annotation))))
    assert sig.return_annotation is not inspect.Signature.empty, f"{fn.__name__}: no return annotation"
    return Signature(tuple(params), _normal(str(sig.return_annotation)))


def doc_sections(markdown: str) -> dict[str, str]:
    """``## `reseau_x` `` sections of the docs, by hook name (text up to the next ``##``)."""
    sections: dict[str, str] = {}
    for match in _SECTION.finditer(markdown):
        following = _ANY_H2.search(markdown, match.end())
        sections[match.group(1)] = markdown[match.end() : following.start() if following else len(markdown)]
    return sections


def doc_signature(name: str, section: str) -> Signature:
    """The signature in the first ``python`` block of a hook's section."""
    block = _CODE.search(section)
    if block is None:
        raise AssertionError(f"{name}: the section has no ```python block with the signature")
    source = block.group(1).strip()
    tree = ast.parse(source + (" ..." if source.endswith(":") else ""))
    func = tree.body[0] if tree.body else None
    if not isinstance(func, ast.FunctionDef) or func.name != name:
        raise AssertionError(f"{name}: the first code block must be `def {name}(…) -> …:`")
    args = func.args
    if args.posonlyargs or args.kwonlyargs or args.vararg or args.kwarg or args.defaults:
        raise AssertionError(f"{name}: documented signature has defaults or special parameters")
    params = tuple((a.arg, _normal(ast.unparse(a.annotation)) if a.annotation else "") for a in args.args)
    returns = _normal(ast.unparse(func.returns)) if func.returns else ""
    return Signature(params, returns)


def documentation_problems(specs: dict[str, Callable[..., Any]], markdown: str) -> list[str]:
    """Why the docs do not match the hookspecs (empty when they do)."""
    problems = []
    sections = doc_sections(markdown)
    for name, fn in sorted(specs.items()):
        if not name.startswith(PREFIX):
            problems.append(f"{name}: hooks are named {PREFIX}*")
        doc = inspect.getdoc(fn)
        if not doc:
            problems.append(f"{name}: the hookspec has no docstring")
        if name not in sections:
            problems.append(f"{name}: no '## `{name}`' section in docs/hooks.md")
            continue
        try:
            documented = doc_signature(name, sections[name])
        except (AssertionError, SyntaxError) as exc:
            problems.append(str(exc))
            continue
        actual = code_signature(fn)
        if documented != actual:
            problems.append(f"{name}: docs say {documented.render()}, code says {actual.render()}")
        if doc and " ".join(doc.splitlines()[0].split()) not in " ".join(sections[name].split()):
            problems.append(f"{name}: the section does not start from the hookspec's docstring")
        if getattr(fn, f"{PROJECT_NAME}_spec", {}).get("firstresult") and "firstresult" not in sections[name]:
            problems.append(f"{name}: a firstresult hook must say so in its section")
    for name in sorted(set(sections) - set(specs)):
        problems.append(f"{name}: documented but there is no such hookspec")
    return problems


def hooks_with_tests(hooks: Iterable[str], test_names: Iterable[str]) -> dict[str, list[str]]:
    """Which tests each hook has, by the ``test_hook_<x>`` convention (longest hook name wins)."""
    bases = sorted((h.removeprefix(PREFIX) for h in hooks), key=len, reverse=True)
    found: dict[str, list[str]] = {h: [] for h in hooks}
    for test in test_names:
        rest = test.removeprefix("test_hook_")
        if rest == test:
            continue
        for base in bases:
            if rest == base or rest.startswith(f"{base}_"):
                found[PREFIX + base].append(test)
                break
    return found


@cache
def collected_test_names() -> frozenset[str]:
    """The names of every test function the suite collects (parameters stripped)."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    names = set()
    for line in result.stdout.splitlines():
        if "::" in line:
            names.add(line.rsplit("::", 1)[1].split("[", 1)[0])
    assert names, "no test collected"
    return frozenset(names)


# ------------------------------------------------------------------------------------ the checks


def test_every_hook_is_documented_with_its_exact_signature() -> None:
    specs = hookspec_functions()
    assert specs, "no hookspec found"
    assert documentation_problems(specs, DOCS.read_text(encoding="utf-8")) == []


def test_every_hook_has_a_test() -> None:
    found = hooks_with_tests(hookspec_functions(), collected_test_names())
    assert [hook for hook, tests in sorted(found.items()) if not tests] == []


# ----------------------------------------------------- the checks fail when they should (self-test)

FAKE_DOCS = """
# Hooks

## `reseau_widgets`

```python
def reseau_widgets(ctx: RequestContext, space: Space | None) -> list[Panel]:
```

Return widgets.

## `reseau_register_gadgets`

```python
def reseau_register_gadgets() -> list[Gadget]:
```

Return the gadgets.
"""


def _spec(source: str) -> Callable[..., Any]:
    namespace: dict[str, Any] = {}
    exec(compile("from __future__ import annotations\n" + source, "<spec>", "exec"), namespace)
    fn = next(v for k, v in namespace.items() if k.startswith(PREFIX))
    setattr(fn, f"{PROJECT_NAME}_spec", {"firstresult": "firstresult" in source})
    return fn  # type: ignore[no-any-return]


WIDGETS = (
    'def reseau_widgets(ctx: RequestContext, space: Space|None) -> list[Panel]:\n    """Return widgets."""\n'
)
GADGETS = 'def reseau_register_gadgets() -> list[Gadget]:\n    """Return the gadgets."""\n'


def test_meta_accepts_matching_docs() -> None:
    specs = {"reseau_widgets": _spec(WIDGETS), "reseau_register_gadgets": _spec(GADGETS)}
    assert documentation_problems(specs, FAKE_DOCS) == []


DOC = '\n    """Return widgets."""\n'
HEAD = "def reseau_widgets(ctx: RequestContext"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('def reseau_gizmos() -> None:\n    """Gizmos."""\n', "no '## `reseau_gizmos`' section"),
        (f"{HEAD}) -> list[Panel]:{DOC}", "docs say"),
        (f"{HEAD}, space: Space) -> list[Panel]:{DOC}", "code says (ctx: RequestContext, space: Space)"),
        (f"{HEAD}, space: Space | None) -> list[NavItem]:{DOC}", "-> list[NavItem]"),
        (f"{HEAD}, space: Space | None) -> list[Panel]:\n    pass\n", "no docstring"),
        (f'{HEAD}, space: Space | None) -> list[Panel]:\n    """Other text."""\n', "does not start from"),
    ],
)
def test_meta_detects_undocumented_or_mismatched_hooks(source: str, expected: str) -> None:
    specs = {"reseau_register_gadgets": _spec(GADGETS)}
    spec = _spec(source)
    specs[spec.__name__] = spec
    problems = documentation_problems(specs, FAKE_DOCS)
    assert any(expected in p for p in problems), problems


def test_meta_detects_stale_sections() -> None:
    problems = documentation_problems({"reseau_widgets": _spec(WIDGETS)}, FAKE_DOCS)
    assert problems == ["reseau_register_gadgets: documented but there is no such hookspec"]


def test_meta_detects_unhooks_with_tests() -> None:
    hooks = ["reseau_nav_items", "reseau_nav_items_extra", "reseau_space_panels"]
    found = hooks_with_tests(
        hooks,
        [
            "test_hook_nav_items",
            "test_hook_nav_items_extra_sorted",
            "test_hooks_other",
            "test_hook_space_panelsx",
            "test_space_panels",
        ],
    )
    assert found == {
        "reseau_nav_items": ["test_hook_nav_items"],
        "reseau_nav_items_extra": ["test_hook_nav_items_extra_sorted"],
        "reseau_space_panels": [],
    }
