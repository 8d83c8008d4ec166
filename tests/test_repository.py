"""The repository stands alone: no tracked file points outside it.

A clone is all a township's information officer gets. A document or script that names a
shared folder beside the checkout, a developer's home or this build machine's folders works
here and fails there, so every tracked text file is read for such paths, and every relative
link of the documentation must land on a tracked file inside the clone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Folders that exist on a developer's or the build machine, never on a township's server.
OUTSIDE = re.compile(r"\.\./shared\b|(?<![\w.])/(?:work|root|home|Users|mnt)/|[A-Z]:\\Users\\")
#: Markdown links and images: [text](target) and ![alt](target).
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def tracked() -> list[Path]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "-c", "core.quotepath=off", "ls-files", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    return [ROOT / name for name in listed.split("\0") if name]


def text_of(path: Path) -> str | None:
    """The file's text, or None for a binary file (a NUL byte) or one deleted meanwhile."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def test_no_tracked_file_refers_to_a_path_outside_the_repository() -> None:
    found = []
    for path in tracked():
        text = text_of(path)
        if text is None:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if OUTSIDE.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert not found, "\n".join(found)


def test_every_relative_link_of_the_documentation_is_a_file_in_the_repository() -> None:
    files = tracked()
    known = {p.resolve() for p in files}
    broken = []
    for path in files:
        if path.suffix != ".md":
            continue
        for target in LINK.findall(text_of(path) or ""):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue  # a web address or an anchor on the same page
            resolved = (path.parent / unquote(target.split("#", 1)[0])).resolve()
            if not resolved.is_relative_to(ROOT) or (
                resolved not in known and not resolved.is_dir()
            ):
                broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, "\n".join(broken)


def test_the_check_catches_what_it_is_for() -> None:
    # Spelt in pieces, so that this file does not hold what it looks for.
    assert OUTSIDE.search("see ../" + "shared/notes.md")
    assert OUTSIDE.search("cd /" + "work/main && make")
    assert not OUTSIDE.search("/usr/lib/chromium/locales and /etc/systemd/system")
    assert not OUTSIDE.search("/admin/import/preview/../../etc/passwd")


def test_the_deployment_check_runs_the_guide_s_own_commands() -> None:
    """scripts/check_deploy.sh proves the guide only while the guide holds its commands."""
    guide = (ROOT / "docs" / "部署指南.md").read_text()
    marked = [
        line.split("  # 部署指南")[0].strip()
        for line in (ROOT / "scripts" / "check_deploy.sh").read_text().splitlines()
        if line.rstrip().endswith("# 部署指南")
    ]
    assert len(marked) >= 4, marked
    missing = [command for command in marked if command not in guide]
    assert not missing, missing


def test_the_user_guide_shows_the_pictures_the_browser_suite_takes() -> None:
    """Every picture of docs/使用说明.md is one that tests/browser/test_user_guide.py saves."""
    guide = (ROOT / "docs" / "使用说明.md").read_text()
    suite = (ROOT / "tests" / "browser" / "test_user_guide.py").read_text()
    pictures = re.findall(r"\]\(img/([\w-]+)\.png\)", guide)
    assert len(pictures) >= 10, pictures
    taken = set(re.findall(r"shot\(\s*panel,\s*\"([\w-]+)\"", suite))
    assert set(pictures) <= taken, set(pictures) - taken
    for name in pictures:
        assert (ROOT / "docs" / "img" / f"{name}.png").stat().st_size < 150_000, name
