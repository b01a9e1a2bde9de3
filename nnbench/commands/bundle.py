"""``nnbench bundle``: one archive of the reports folder with a SHA256SUMS manifest inside."""

from __future__ import annotations

from nnbench.commands import add_command, examples


def register(subparsers) -> None:
    """Add the ``bundle`` command."""
    parser = add_command(
        subparsers, "bundle",
        help="pack reports/ into one archive with a checksum manifest, or verify one",
        description="Pack REPORTS (default: reports) into one .tar.gz or .zip archive under one top "
                    "folder, with <folder>/SHA256SUMS listing the SHA-256 of every file (sha256sum "
                    "format). The archive is reproducible (sorted entries, fixed times and owners) and "
                    "written under a temporary name, then renamed. With --verify ARCHIVE, check an "
                    "archive against its manifest without unpacking it (exit 1 on a difference).",
        epilog=examples(
            "nnbench bundle                                 # reports/ -> reports.tar.gz",
            "nnbench bundle reports --out talk.zip",
            "nnbench bundle --verify talk.zip",
        ),
    )
    parser.add_argument("reports", nargs="?", default="reports", metavar="REPORTS",
                        help="the folder to pack (default: reports)")
    parser.add_argument("--out", default=None, metavar="ARCHIVE",
                        help="archive to write, *.tar.gz, *.tgz or *.zip (default: REPORTS.tar.gz beside the folder)")
    parser.add_argument("--format", dest="fmt", default=None, metavar="FORMAT",
                        help="tar.gz or zip (default: from the name of --out, else tar.gz)")
    parser.add_argument("--verify", default=None, metavar="ARCHIVE",
                        help="check ARCHIVE against its SHA256SUMS instead of packing")
    parser.set_defaults(func=handle)


def handle(args) -> int:
    """Pack or verify; print one line (and each difference found by --verify)."""
    import sys

    from nnbench.bundle import bundle, verify

    if args.verify is not None:
        result = verify(args.verify)
        if result.ok:
            print(f"{result.path}: ok, {result.files} files match SHA256SUMS")
            return 0
        for label, names in (("content differs", result.mismatched), ("missing", result.missing),
                             ("not in SHA256SUMS", result.unlisted)):
            for name in names:
                print(f"{result.path}: {name}: {label}", file=sys.stderr)
        problems = len(result.mismatched) + len(result.missing) + len(result.unlisted)
        print(f"{result.path}: {problems} of {result.files} files do not match SHA256SUMS", file=sys.stderr)
        return 1
    result = bundle(args.reports, out=args.out, fmt=args.fmt)
    print(f"wrote {result.path} ({result.files} files, {result.size / 1e6:.1f} MB; "
          f"sha256 {result.sha256})")
    return 0
