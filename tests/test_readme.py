"""The README's set-up commands are the ones CI runs."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    match = re.search(r"<!-- test-command -->\n```\n(.+)\n```", readme)
    assert match, "README.md lacks the marked test command"
    cmd = match.group(1)
    extracted = subprocess.run(
        [
            "awk",
            "/<!-- test-command -->/{getline; while ($0 ~ /^```/) getline; print; exit}",
            "README.md",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert extracted == cmd
    assert "pytest" in cmd and ".[test]" in cmd


def test_readme_has_exactly_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set-up", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```\n(.+?)\n```", setup, flags=re.S)
    assert len(blocks) == 2
    assert "cislink" in blocks[0] and "pytest" in blocks[1]
