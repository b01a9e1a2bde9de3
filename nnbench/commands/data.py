"""``nnbench data fetch|verify|info``: get the datasets into the verified cache, check copies, describe them."""

from __future__ import annotations

import argparse
import sys

from nnbench.commands import add_command, examples

DEFAULT_NAMES = ("mnist", "fashion-mnist")


def register(subparsers) -> None:
    """Add ``nnbench data`` and its actions to the CLI."""
    parser = add_command(
        subparsers, "data", help="fetch, verify and describe the datasets",
        description="Fetch MNIST / Fashion-MNIST into the verified cache, check copies, describe a dataset. "
                    "Files are searched in: --data-dir, $NNBENCH_DATA/<name>, the cache (--cache-dir, "
                    "$NNBENCH_CACHE, $XDG_CACHE_HOME/nnbench, ~/.cache/nnbench), "
                    "/usr/share/datasets/fashion-mnist, then downloaded from the official mirrors.",
        epilog=examples(
            "nnbench data fetch                                   # both datasets, downloaded if needed",
            "nnbench data fetch mnist --data-dir ../shared/datasets   # from a folder, no download",
            "nnbench data verify",
            "nnbench data info fashion-mnist",
        ))
    actions = parser.add_subparsers(dest="data_action", metavar="ACTION")
    parser.set_defaults(func=lambda args: _usage(parser))

    fetch = add_command(
        actions, "fetch", help="download (or copy from --data-dir) and verify into the cache",
        description="Verify every file and build the memory-mapped cache. With --data-dir the files come "
                    "from that folder (read only) and nothing is downloaded.",
        epilog=examples("nnbench data fetch", "nnbench data fetch mnist --data-dir ../shared/datasets",
                        "nnbench data fetch --offline --cache-dir /tmp/nnbench-cache"))
    fetch.add_argument("names", nargs="*", metavar="NAME", help=f"datasets (default: {' '.join(DEFAULT_NAMES)})")
    _add_folders(fetch)
    fetch.add_argument("--offline", action="store_true", help="never download")
    fetch.set_defaults(func=fetch_command)

    verify = add_command(
        actions, "verify", help="check every copy of every file; exit 1 on any problem",
        description="Check magic number, dimensions, counts and content SHA-256 of every file found "
                    "(or of exactly the files in --data-dir). Changes nothing.",
        epilog=examples("nnbench data verify", "nnbench data verify fashion-mnist --data-dir ../shared/datasets"))
    verify.add_argument("names", nargs="*", metavar="NAME", help=f"datasets (default: {' '.join(DEFAULT_NAMES)})")
    _add_folders(verify)
    verify.set_defaults(func=verify_command)

    info = add_command(
        actions, "info", help="shapes, class counts, source and licence of a dataset",
        description="Describe a dataset: title, licence, homepage and mirrors, then (when its files are "
                    "available locally) shapes, pixel statistics and class counts of each split.",
        epilog=examples("nnbench data info mnist", "nnbench data info digits"))
    info.add_argument("name", metavar="NAME")
    _add_folders(info)
    info.set_defaults(func=info_command)


def _add_folders(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", metavar="DIR",
                        help="folder holding <name>/ with the four .gz files (read only; default: $NNBENCH_DATA)")
    parser.add_argument("--cache-dir", metavar="DIR",
                        help="cache folder (default: $NNBENCH_CACHE, else $XDG_CACHE_HOME/nnbench or ~/.cache/nnbench)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def _check_names(names) -> list[str]:
    from nnbench.data import DatasetError
    from nnbench.validation import Options
    from nnbench.vocabulary import DATASETS

    return [Options(DATASETS, what="dataset").check("", name, DatasetError) for name in names]


def fetch_command(args) -> int:
    """Verify and cache each dataset; 0 when all are ready, 2 when any failed (each error printed)."""
    from nnbench.data import REGISTRY, DatasetError, ensure_cached
    from nnbench.data.store import dataset_cache, describe_sources

    names = _check_names(args.names or DEFAULT_NAMES)
    allow_download = not args.offline and not args.data_dir
    failed = 0
    for name in names:
        if name not in REGISTRY:
            print(f"{name}: built into scikit-learn, nothing to fetch")
            continue
        spec = REGISTRY[name]
        try:
            _, sources = ensure_cached(spec, data_dir=args.data_dir, cache_dir=args.cache_dir,
                                       download=allow_download)
        except DatasetError as error:
            print(f"nnbench: error: {error}", file=sys.stderr)
            failed += 1
            continue
        origins = describe_sources(sources)
        print(f"{name}: ok, verified cache in {dataset_cache(spec, args.cache_dir)}"
              + (f" (from {origins})" if origins else ""))
    return 2 if failed else 0


def verify_command(args) -> int:
    """Print one line per file copy (ok / what is wrong); 1 when anything is wrong."""
    from nnbench.data import REGISTRY, verify_copies

    names = _check_names(args.names or DEFAULT_NAMES)
    problems = 0
    for name in names:
        if name not in REGISTRY:
            print(f"ok    {name}: built into scikit-learn")
            continue
        for check in verify_copies(REGISTRY[name], data_dir=args.data_dir, cache_dir=args.cache_dir):
            where = f"{check.path} [{check.where}]" if check.path else check.filename
            if check.problem is None:
                print(f"ok    {name}: {where}")
            else:
                problems += 1
                print(f"FAIL  {name}: {where}: {check.problem}")
        sys.stdout.flush()
    if problems:
        print(f"{problems} problem(s). To fix: replace the file with the official one, set NNBENCH_DATA "
              "to a good copy, or run `nnbench data fetch`.", file=sys.stderr)
        return 1
    return 0


def info_command(args) -> int:
    """Describe a dataset; 1 when it is not available locally (facts from the registry are still shown)."""
    import numpy as np

    from nnbench.data import REGISTRY, DatasetError, load_dataset, registry

    (name,) = _check_names([args.name])
    if name in REGISTRY:
        spec = REGISTRY[name]
        print(f"{name}: {spec.title}")
        print(f"  licence:  {spec.license}")
        print(f"  homepage: {spec.homepage}")
        print(f"  mirrors:  {', '.join(spec.mirrors)}")
    else:
        print(f"{name}: {registry.DIGITS_TITLE}")
        print(f"  licence:  {registry.DIGITS_LICENSE}")
    try:
        data = load_dataset(name, data_dir=args.data_dir, cache_dir=args.cache_dir, download=False)
    except DatasetError as error:
        print(f"  status:   not available locally; run `nnbench data fetch {name}`\n  ({error})")
        return 1
    print(f"  source:   {data.source}")
    print(f"  classes:  {', '.join(data.classes)}")
    for split, x, y in (("train", data.x_train, data.y_train), ("test", data.x_test, data.y_test)):
        counts = np.bincount(y, minlength=len(data.classes))
        print(f"  {split + ':':<9} x {tuple(x.shape)} {x.dtype}, y {tuple(y.shape)} {y.dtype}; "
              f"pixel mean {x.mean(dtype=np.float64):.4f}, std {x.std(dtype=np.float64):.4f}")
        print(f"  {'':<9} class counts: {' '.join(str(int(c)) for c in counts)}")
    return 0
