"""Supply chain: known vulnerabilities in the installed dependencies fail ``make test``.

``pip-audit`` audits the environment ``make test`` installed (the project's dependencies at the
versions actually resolved, i.e. what would be deployed), against the PyPI advisory service.

When the advisory service cannot answer (no route to it: the dependencies are reported as "not
audited"), the audit has not happened, and that must never look like a pass:

- when ``CI`` is set the test **fails**, naming how many dependencies went unaudited;
- ``RESEAU_AUDIT_OFFLINE=1`` acknowledges a machine that has no route to any advisory service:
  the test is then *skipped* with that reason in the summary (``-ra``), never passed;
- elsewhere (a developer's laptop offline) it is skipped with the same reason.

The verdict logic is a pure function tested on canned ``pip-audit`` reports, so the gate is
proven to fail on a vulnerability even on a machine that cannot reach the service.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent

#: The security floors (ARCHITECTURE "Security baseline"), each listed in the README too.
SECURITY_FLOORS = {
    "starlette": "1.5.1",
    "python-multipart": "0.0.31",
    "jinja2": "3.1.6",
    "apscheduler": "3.11.2",
}


@dataclass(frozen=True)
class AuditVerdict:
    """What one pip-audit JSON report says."""

    vulnerable: list[str]
    unaudited: list[str]

    @property
    def failed(self) -> bool:
        return bool(self.vulnerable)


def read_report(report: dict[str, Any]) -> AuditVerdict:
    """Vulnerable ``name==version (ids)`` lines, and the names pip-audit could not audit."""
    vulnerable: list[str] = []
    unaudited: list[str] = []
    for dep in report.get("dependencies", []):
        if dep.get("skip_reason"):
            unaudited.append(dep["name"])
            continue
        vulns = dep.get("vulns") or []
        if vulns:
            ids = ", ".join(v["id"] for v in vulns)
            fixes = sorted({f for v in vulns for f in v.get("fix_versions", [])})
            vulnerable.append(f"{dep['name']}=={dep['version']} ({ids}; fixed in {', '.join(fixes) or '?'})")
    return AuditVerdict(vulnerable, unaudited)


def run_pip_audit(*args: str) -> AuditVerdict:
    """Run pip-audit in this interpreter's environment and read its JSON report."""
    proc = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--format", "json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if not proc.stdout.strip():
        pytest.fail(f"pip-audit gave no report (exit {proc.returncode}):\n{proc.stderr[-2000:]}")
    return read_report(json.loads(proc.stdout))


def unreachable(verdict: AuditVerdict, total_hint: str) -> None:
    """Fail in CI (unless acknowledged offline), skip elsewhere: never a silent pass."""
    message = (
        f"pip-audit could not reach the advisory service: {len(verdict.unaudited)} {total_hint} "
        "NOT audited for known vulnerabilities"
    )
    if os.environ.get("RESEAU_AUDIT_OFFLINE") == "1":
        pytest.skip(message + " (RESEAU_AUDIT_OFFLINE=1: this machine has no route to it)")
    if os.environ.get("CI"):
        pytest.fail(message + "; set RESEAU_AUDIT_OFFLINE=1 only where no advisory service is reachable")
    pytest.skip(message)


# ------------------------------------------------------------------------------ the gate itself


def test_report_with_a_vulnerability_fails_the_gate() -> None:
    report = {
        "dependencies": [
            {"name": "jinja2", "version": "3.1.4", "vulns": [
                {"id": "GHSA-q2x7-8rv6-6q7h", "fix_versions": ["3.1.5"], "aliases": ["CVE-2024-56201"]},
            ]},
            {"name": "click", "version": "8.1.7", "vulns": []},
        ]
    }
    verdict = read_report(report)
    assert verdict.failed
    assert verdict.vulnerable == ["jinja2==3.1.4 (GHSA-q2x7-8rv6-6q7h; fixed in 3.1.5)"]


def test_report_without_service_is_not_a_pass() -> None:
    report = {"dependencies": [{"name": "jinja2", "skip_reason": "Dependency not found on PyPI"}]}
    verdict = read_report(report)
    assert not verdict.vulnerable and verdict.unaudited == ["jinja2"]


def test_installed_dependencies_have_no_known_vulnerability() -> None:
    """The real audit of the environment ``make test`` installed (the project itself excluded)."""
    verdict = run_pip_audit("--skip-editable")
    assert not verdict.vulnerable, "known vulnerabilities:\n" + "\n".join(verdict.vulnerable)
    if verdict.unaudited:
        unreachable(verdict, "installed dependencies")


def test_audit_catches_a_known_vulnerable_pin(tmp_path: Path) -> None:
    """End to end with the service: Jinja2 3.1.4 (sandbox breakout, CVE-2024-56201) is reported."""
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("jinja2==3.1.4\n")
    verdict = run_pip_audit("--no-deps", "--disable-pip", "-r", str(requirements))
    if verdict.unaudited:
        unreachable(verdict, "pinned requirement")
    assert any(line.startswith("jinja2==3.1.4") for line in verdict.vulnerable)


# ------------------------------------------------------------------------------ version floors


def _declared() -> dict[str, Requirement]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())
    reqs = [Requirement(r) for r in data["project"]["dependencies"]]
    return {r.name.lower(): r for r in reqs}


@pytest.mark.parametrize("name", sorted(SECURITY_FLOORS))
def test_security_floor_declared_installed_and_documented(name: str) -> None:
    floor = Version(SECURITY_FLOORS[name])
    declared = _declared()[name]
    minimums = [Version(s.version) for s in declared.specifier if s.operator in (">=", "==")]
    assert minimums and min(minimums) >= floor, f"pyproject allows {name} below {floor}: {declared}"
    try:
        installed = Version(version(name))
    except PackageNotFoundError:
        pytest.fail(f"{name} is not installed")
    assert installed in declared.specifier and installed >= floor
    readme = (ROOT / "README.md").read_text()
    row = re.search(rf"^\|\s*`?{re.escape(name)}`?\s*\|.*$", readme, re.IGNORECASE | re.MULTILINE)
    assert row, f"README's minimum versions table does not list {name}"
