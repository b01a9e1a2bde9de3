"""The files that make nnbench installable and citable: the lock, LICENSE, CITATION.cff."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

import nnbench
import nnbench.citation

REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text())


def declared_requirements() -> list[Requirement]:
    """The runtime dependencies and every extra (`test`, `slurm`): what the lock covers."""
    project = PYPROJECT["project"]
    extras = [text for group in project["optional-dependencies"].values() for text in group]
    return [Requirement(text) for text in project["dependencies"] + extras]


def locked_entries(text: str) -> dict[str, tuple[str, list[str]]]:
    """requirements.lock as {canonical name: (pin, [hashes])}; one entry spans its `\\` lines."""
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        lines = [line.strip() for line in block.splitlines() if not line.strip().startswith("#")]
        if not lines or not lines[0]:
            continue
        requirement = lines[0].rstrip("\\ ").strip()
        hashes = re.findall(r"--hash=sha256:([0-9a-f]{64})", block)
        name = re.split(r"[=<>!~ ;\[]", requirement, maxsplit=1)[0]
        entries[canonicalize_name(name)] = (requirement[len(name):], hashes)
    return entries


def test_lock_pins_every_declared_dependency_with_hashes():
    entries = locked_entries((REPO / "requirements.lock").read_text())
    assert len(entries) > len(declared_requirements())  # the transitive set too
    for requirement in declared_requirements():
        name = canonicalize_name(requirement.name)
        assert name in entries, f"{name} is in pyproject.toml but not in requirements.lock: run scripts/lock.sh"
        pin, hashes = entries[name]
        assert pin.startswith("=="), f"{name} is not pinned with == in requirements.lock: {pin!r}"
        assert hashes, f"{name} has no --hash in requirements.lock"
        version = Version(pin[2:].split(";")[0].strip())
        assert requirement.specifier.contains(version), f"{name}=={version} violates pyproject's {requirement}"
    for name, (pin, hashes) in entries.items():
        assert pin.startswith("==") and hashes, f"{name}: every locked package is pinned and hashed"


def test_lower_bounds_are_the_locked_versions():
    # the rule: lower bounds are what is tested, and the tests run on the lock
    entries = locked_entries((REPO / "requirements.lock").read_text())
    for requirement in declared_requirements():
        lower = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        pinned = entries[canonicalize_name(requirement.name)][0][2:].split(";")[0].strip()
        assert lower == [pinned], f"{requirement}: lower bound should be the locked {pinned}"


def test_the_lock_is_universal_for_the_supported_pythons():
    # one lock for every supported Python and OS: its header says so, requires-python is the
    # range it was resolved for, and platform-only packages carry environment markers
    text = (REPO / "requirements.lock").read_text()
    assert "CPython 3.11-3.13 on Linux x86_64/aarch64, macOS and Windows" in " ".join(text.split())
    assert PYPROJECT["project"]["requires-python"] == ">=3.11,<3.14"
    assert "--universal" in (REPO / "scripts" / "lock.sh").read_text()
    pins = locked_entries(text)
    assert "sys_platform == 'win32'" in pins["colorama"][0]  # pip skips it elsewhere
    assert "sys_platform" not in pins["numpy"][0] and len(pins["numpy"][1]) > 10  # wheels of many platforms


def test_the_slurm_plugin_is_its_own_extra():
    extras = PYPROJECT["project"]["optional-dependencies"]
    plugin = "snakemake-executor-plugin-slurm"
    assert any(text.startswith(plugin) for text in extras["slurm"])
    assert not any(text.startswith(plugin) for name, group in extras.items() if name != "slurm" for text in group)


def test_the_lock_helpers_parse_a_hand_written_lock():
    text = ("# header\nfoo-bar==1.2 \\\n    --hash=sha256:" + "a" * 64 + "\n    # via x\n"
            "baz>=2\n")
    entries = locked_entries(text)
    assert entries["foo-bar"] == ("==1.2", ["a" * 64])
    assert entries["baz"] == (">=2", [])


def test_readme_and_ci_install_from_the_lock():
    install = "pip install --require-hashes -r requirements.lock && pip install --no-deps -e ."
    assert install in (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    assert "--require-hashes -r requirements.lock" in ci and "pip install -q -e '.[test]'" not in ci


def test_citation_cff_has_the_required_keys_and_the_package_version():
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert key in citation, key
    assert citation["cff-version"] == "1.2.0"
    # the report's citation (nnbench.citation) says the same
    assert citation["title"] == "nnbench" == nnbench.citation.TITLE
    assert tuple(author["name"] for author in citation["authors"]) == nnbench.citation.AUTHORS
    assert citation["license"] == "MIT" == PYPROJECT["project"]["license"] == nnbench.citation.LICENSE
    assert all("name" in author or "family-names" in author for author in citation["authors"])
    assert str(citation["version"]) == PYPROJECT["project"]["version"] == nnbench.__version__
    assert "repository-code" not in citation or "example" not in citation["repository-code"]


def test_license_is_mit_for_the_contributors():
    text = (REPO / "LICENSE").read_text()
    assert text.startswith("MIT License") and "Copyright (c) 2026 nnbench contributors" in text


def test_citation_references_are_the_reports_bibtex_references():
    citation = yaml.safe_load((REPO / "CITATION.cff").read_text())
    cff = [(ref["title"], str(ref["year"]), [author["family-names"] for author in ref["authors"]])
           for ref in citation["references"]]
    ours = []
    for _, _, fields in nnbench.citation.REFERENCES:
        fields = dict(fields)
        families = [name.split(",")[0].strip() for name in fields["author"].split(" and ")]
        ours.append((fields["title"], fields["year"], families))
    assert cff == ours
    assert [family for *_, families in ours for family in families[:1]] == ["Saitoh", "LeCun", "Xiao"]
    assert "1708.07747" in str(citation["references"][2]) and "10.1109/5.726791" in str(citation["references"][1])
    bibtex = nnbench.citation.citation({"commit": "a" * 40, "commit_date": "2026-01-02"}, "0.1.0", "2026-01-03")
    for _, key, _ in nnbench.citation.REFERENCES:
        assert f"{{{key}," in bibtex["bibtex"]


def test_package_metadata_names_authors_pythons_and_an_spdx_licence():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert any(Requirement(text).name == "setuptools" and Version("77") in Requirement(text).specifier
               and not Requirement(text).specifier.contains("76") for text in PYPROJECT["build-system"]["requires"])
    assert project["authors"] and project["keywords"]
    for minor in ("3.11", "3.12", "3.13"):
        assert f"Programming Language :: Python :: {minor}" in project["classifiers"]
    assert not any(classifier.startswith("License ::") for classifier in project["classifiers"])  # SPDX instead


def test_snakemake_min_version_is_the_locked_snakemake():
    locked = locked_entries((REPO / "requirements.lock").read_text())["snakemake"][0][2:].split(";")[0].strip()
    common = (REPO / "workflow" / "rules" / "common.smk").read_text()
    assert re.search(r'^min_version\("([^"]+)"\)', common, re.MULTILINE).group(1) == locked
