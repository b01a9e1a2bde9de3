"""nnbench bundle: one archive of reports/ with SHA256SUMS, and --verify."""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

import pytest

from nnbench import bundle as bundling
from nnbench.cli import main


@pytest.fixture
def reports(tmp_path) -> Path:
    folder = tmp_path / "reports"
    (folder / "figures").mkdir(parents=True)
    (folder / "tables").mkdir()
    (folder / "report.html").write_text("<html>report</html>\n")
    (folder / "manifest.json").write_text('{"figures": []}\n')
    (folder / "figures" / "optimizers_mnist_loss.png").write_bytes(bytes(range(256)) * 40)
    (folder / "tables" / "optimizers_final.csv").write_text("optimizer,accuracy\nsgd,0.9\n")
    (folder / "tables" / ".optimizers_final.csv.abc123.tmp").write_text("half written")  # a write in progress
    return folder


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def archive_files(path: Path) -> dict[str, bytes]:
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            return {name: archive.read(name) for name in archive.namelist()}
    with tarfile.open(path) as archive:
        return {info.name: archive.extractfile(info).read() for info in archive if info.isfile()}


@pytest.mark.parametrize("fmt", ["tar.gz", "zip"])
def test_bundle_holds_every_file_and_a_manifest_that_sha256sum_reads(reports, tmp_path, capsys, fmt):
    out = tmp_path / f"talk.{fmt}"
    assert main(["bundle", str(reports), "--out", str(out)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"wrote {out} (4 files,") and sha256(out.read_bytes()) in line
    files = archive_files(out)
    assert set(files) == {"reports/SHA256SUMS", "reports/report.html", "reports/manifest.json",
                          "reports/figures/optimizers_mnist_loss.png", "reports/tables/optimizers_final.csv"}
    manifest = files["reports/SHA256SUMS"].decode().splitlines()
    expected = [f"{sha256((reports / name).read_bytes())}  {name}" for name in  # sorted by path
                ("figures/optimizers_mnist_loss.png", "manifest.json", "report.html", "tables/optimizers_final.csv")]
    assert manifest == expected
    for line in manifest:  # the manifest is true of the archived files
        digest, name = line.split("  ")
        assert sha256(files[f"reports/{name}"]) == digest
    assert not list(tmp_path.glob(".talk*"))  # no temporary file left
    if shutil.which("sha256sum"):  # the unpacked copy checks with the standard tool
        unpacked = tmp_path / "unpacked"
        for name, data in files.items():
            (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
            (unpacked / name).write_bytes(data)
        check = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=unpacked / "reports", capture_output=True, text=True)
        assert check.returncode == 0 and check.stdout.count(": OK") == 4, check.stdout + check.stderr
    assert main(["bundle", "--verify", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"{out}: ok, 4 files match SHA256SUMS"


def test_default_archive_is_beside_the_folder_and_reproducible(reports, monkeypatch, capsys):
    monkeypatch.chdir(reports.parent)
    assert main(["bundle"]) == 0
    first = (reports.parent / "reports.tar.gz").read_bytes()
    (reports / "report.html").touch()  # a newer time, same content
    assert main(["bundle"]) == 0
    assert (reports.parent / "reports.tar.gz").read_bytes() == first
    assert main(["bundle", "--format", "zip"]) == 0
    assert (reports.parent / "reports.zip").is_file()


def rewrite_tar(source: Path, target: Path, change) -> None:
    """A copy of a tar.gz archive with ``change(name, data) -> data or None (drop)``."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for info in old:
            data = change(info.name, old.extractfile(info).read())
            if data is not None:
                info.size = len(data)
                new.addfile(info, io.BytesIO(data))


def test_verify_names_changed_missing_and_unlisted_files(reports, tmp_path, capsys):
    good = tmp_path / "good.tar.gz"
    bundling.bundle(reports, good)
    bad = tmp_path / "bad.tar.gz"
    rewrite_tar(good, bad, lambda name, data: None if name.endswith("manifest.json")
                else data + b"!" if name.endswith(".csv") else data)
    with tarfile.open(bad) as archive:
        assert "reports/manifest.json" not in archive.getnames()
    assert main(["bundle", "--verify", str(bad)]) == 1
    err = capsys.readouterr().err
    assert f"{bad}: reports/tables/optimizers_final.csv: content differs" in err
    assert f"{bad}: reports/manifest.json: missing" in err
    assert err.strip().endswith("2 of 4 files do not match SHA256SUMS")

    extra = tmp_path / "extra.zip"
    bundling.bundle(reports, extra)
    with zipfile.ZipFile(extra, "a") as archive:
        archive.writestr("reports/slides.txt", "added later")
    result = bundling.verify(extra)
    assert not result.ok and result.unlisted == ["reports/slides.txt"] and not result.mismatched


@pytest.mark.parametrize("args, message", [
    (["missing"], "reports folder 'missing' does not exist or is not a folder"),
    (["reports", "--out", "out.rar"], "unknown archive format of 'out.rar': name it *.tar.gz, *.tgz or *.zip"),
    (["reports", "--format", "7z"], "unknown archive format '7z': use one of tar.gz, zip"),
    (["reports", "--out", "reports/self.zip"], "is inside the folder it packs"),
    (["empty"], "reports folder 'empty' has no files to bundle"),
    (["--verify", "nothing.tar.gz"], "archive 'nothing.tar.gz' does not exist"),
    (["--verify", "reports/report.html"], "is not a .tar.gz or .zip archive"),
])
def test_bad_input_is_one_line_exit_2_and_nothing_written(reports, monkeypatch, capsys, args, message):
    monkeypatch.chdir(reports.parent)
    (reports.parent / "empty").mkdir()
    before = sorted(path for path in reports.parent.rglob("*"))
    assert main(["bundle", *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith("nnbench: error: ") and message in err and err.count("\n") == 1
    assert sorted(path for path in reports.parent.rglob("*")) == before


def test_verify_refuses_an_archive_without_a_manifest(tmp_path):
    plain = tmp_path / "plain.zip"
    with zipfile.ZipFile(plain, "w") as archive:
        archive.writestr("reports/report.html", "x")
    with pytest.raises(bundling.BundleError, match="not an nnbench bundle: it must hold exactly one <folder>/SHA256SUMS"):
        bundling.verify(plain)
