"""How to cite a result: the report's citation and each figure's and table's provenance line.

The code that made the results comes from the runs themselves (the code identity every
``summary.json`` carries, kept by aggregation as the ``commit``, ``commit_date`` and
``dirty`` columns of ``runs.csv``); when no run recorded a commit (an installed copy), the
current checkout's :func:`nnbench.provenance.code_identity` stands in, and the citation
says so. The config is named by the SHA-256 of its file (the workflow's effective config
``resources/config.json``, or the file passed).

The citation's fixed facts (title, authors, licence, and the works nnbench builds on:
:data:`REFERENCES`) agree with ``CITATION.cff`` (a test checks it); the version is the
package's.
"""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from typing import Any

__all__ = ["TITLE", "AUTHORS", "LICENSE", "REFERENCES", "config_sha256", "study_provenance", "provenance_line",
           "results_code", "citation"]

TITLE = "nnbench"
AUTHORS = ("nnbench contributors",)
LICENSE = "MIT"

#: The works a user of nnbench's results cites with it (CITATION.cff's ``references``): the
#: book whose lecture the study reruns, and the two datasets. BibTeX fields, in order.
REFERENCES = (
    ("book", "saitoh2016deep", (
        ("author", "Saitoh, Koki"),
        ("title", "Deep Learning from Scratch"),
        ("publisher", "O'Reilly Japan"),
        ("year", "2016"),
        ("isbn", "978-4-87311-758-4"),
        ("note", "Japanese original: Zero kara tsukuru Deep Learning; Korean edition: "
                 "밑바닥부터 시작하는 딥러닝, Hanbit Media, 2017. The lecture nnbench reruns follows "
                 "its chapter 6"),
    )),
    ("article", "lecun1998gradient", (
        ("author", "LeCun, Yann and Bottou, L{\\'e}on and Bengio, Yoshua and Haffner, Patrick"),
        ("title", "Gradient-Based Learning Applied to Document Recognition"),
        ("journal", "Proceedings of the IEEE"),
        ("volume", "86"),
        ("number", "11"),
        ("pages", "2278--2324"),
        ("year", "1998"),
        ("doi", "10.1109/5.726791"),
        ("note", "The MNIST dataset"),
    )),
    ("article", "xiao2017fashion", (
        ("author", "Xiao, Han and Rasul, Kashif and Vollgraf, Roland"),
        ("title", "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms"),
        ("journal", "arXiv preprint arXiv:1708.07747"),
        ("year", "2017"),
        ("eprint", "1708.07747"),
        ("archiveprefix", "arXiv"),
        ("note", "The Fashion-MNIST dataset"),
    )),
)


def bibtex_entry(kind: str, key: str, fields) -> str:
    """One BibTeX entry, its ``=`` signs aligned."""
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = {{{value}}}" for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}"


#: Characters of a commit or hash shown in a provenance line (the full ones are in the files).
SHORT = 12


def config_sha256(path: str | os.PathLike | None) -> str | None:
    """SHA-256 of the config file's bytes (None without a file)."""
    if path is None:
        return None
    with open(path, "rb") as stream:
        return hashlib.sha256(stream.read()).hexdigest()


def _present(values) -> list[str]:
    return [str(value) for value in values if str(value) not in ("", "nan", "None", "<NA>")]


def study_provenance(runs, study: str, config_hash: str | None) -> dict[str, Any]:
    """What a figure or table of ``study`` was made from: its seeds, number of runs, the
    commits of those runs (most runs first), whether any ran from a dirty tree, the config
    hash. ``runs`` is the study's ``runs.csv`` (a DataFrame; None when absent)."""
    if runs is None or not len(runs):
        return {"study": study, "seeds": [], "runs": 0, "commits": [], "dirty": None,
                "config_sha256": config_hash}
    seeds = sorted({int(seed) for seed in runs["seed"].dropna()}) if "seed" in runs.columns else []
    commits = Counter(_present(runs["commit"])) if "commit" in runs.columns else Counter()
    dirty = _present(runs["dirty"]) if "dirty" in runs.columns else []
    return {"study": study, "seeds": seeds, "runs": int(len(runs)),
            "commits": [commit for commit, _ in commits.most_common()],
            "dirty": (any(value == "True" for value in dirty)) if dirty else None,
            "config_sha256": config_hash}


def _seeds_text(seeds: list[int]) -> str:
    if not seeds:
        return "no seeds"
    if seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return "seed " + str(seeds[0]) if len(seeds) == 1 else "seeds " + ", ".join(map(str, seeds))


def provenance_line(item: dict[str, Any]) -> str:
    """One line a reader can quote: ``study optimizers; seeds 0-4; 35 runs; commit
    c04b74c0a733; config sha256 3f2a9d0c61b2`` (dirty trees and unknowns said so)."""
    commits = item.get("commits") or []
    if not commits:
        code = "commit unknown"
    else:
        code = ("commit " if len(commits) == 1 else "commits ") + ", ".join(c[:SHORT] for c in commits)
        if item.get("dirty"):
            code += " (with uncommitted changes)"
    config = item.get("config_sha256")
    parts = [f"study {item['study']}", _seeds_text(item.get("seeds") or []),
             f"{item.get('runs', 0)} run" + ("" if item.get("runs") == 1 else "s"), code,
             f"config sha256 {config[:SHORT]}" if config else "config not given"]
    return "; ".join(parts)


def results_code(results) -> dict[str, Any]:
    """The code behind the results under a :class:`nnbench.results.Results`: ``{commit,
    commit_date, dirty, commits, source}`` where ``commit`` is the one most runs recorded
    (``dirty``: some of its runs ran from a tree with uncommitted changes), ``commits``
    every recorded one, and ``source`` is "runs" or, when no run recorded a commit,
    "checkout" (this process's code identity)."""
    commits: Counter = Counter()
    dates: dict[str, str] = {}
    dirty: set[str] = set()  # commits some run of which ran from a dirty tree
    for study in results.studies():
        runs = results.runs(study)
        if runs is None or "commit" not in runs.columns:
            continue
        for _, row in runs.iterrows():
            commit = _present([row.get("commit")])
            if not commit:
                continue
            commits[commit[0]] += 1
            date = _present([row.get("commit_date")])
            if date:
                dates.setdefault(commit[0], date[0])
            if str(row.get("dirty")) == "True":
                dirty.add(commit[0])
    if commits:
        commit = commits.most_common(1)[0][0]
        return {"commit": commit, "commit_date": dates.get(commit), "dirty": commit in dirty,
                "commits": [c for c, _ in commits.most_common()], "source": "runs"}
    from nnbench.provenance import code_identity

    identity = code_identity()
    return {"commit": identity["commit"], "commit_date": identity["commit_date"], "dirty": bool(identity["dirty"]),
            "commits": [identity["commit"]] if identity["commit"] else [], "source": "checkout"}


def citation(code: dict[str, Any], version: str, generated: str, lang: str = "en") -> dict[str, str]:
    """``{"plain": ..., "bibtex": ...}`` citing nnbench at ``code``'s commit; ``plain`` in
    ``lang`` (whole sentences from the message catalog), the BibTeX in English.

    ``generated`` (``YYYY-MM-DD``) dates the results when the commit's date is unknown,
    and always says when the figures were made.
    """
    from nnbench.i18n import N_, gettext

    commit = code.get("commit")
    date = (code.get("commit_date") or generated or "")[:10]
    year, month = (date[:4], date[5:7]) if len(date) >= 7 else ("", "")
    authors = " and ".join(AUTHORS)
    commits = len(code.get("commits") or [])

    def where_text(language):
        if not commit:
            return gettext(N_("commit unknown (not run from a git checkout)"), language)
        dirty = bool(code.get("dirty"))
        if commits > 1:
            message = (N_("git commit {commit} with uncommitted changes (runs from {count} commits, listed per "
                          "figure)") if dirty else
                       N_("git commit {commit} (runs from {count} commits, listed per figure)"))
        else:
            message = N_("git commit {commit} with uncommitted changes") if dirty else N_("git commit {commit}")
        return gettext(message, language).format(commit=commit, count=commits)

    where = where_text("en")
    message = (N_("{authors} ({year}). {title}, version {version}, {where}, {date} [software]. Figures "
                  "generated {generated}.") if date else
               N_("{authors} ({year}). {title}, version {version}, {where} [software]. Figures generated "
                  "{generated}."))
    plain = gettext(message, lang).format(
        authors=", ".join(AUTHORS), year=year or gettext(N_("n.d."), lang), title=TITLE, version=version,
        where=where_text(lang), date=date, generated=generated)
    key = f"nnbench_{(commit or version)[:7]}".replace(".", "_")
    fields = [("author", "{" + authors + "}"), ("title", TITLE), ("version", version)]
    if year:
        fields += [("year", year), ("month", str(int(month)))]
    if date:
        fields.append(("date", date))
    fields += [("note", f"{where}; figures generated {generated}"), ("license", LICENSE)]
    entries = [bibtex_entry("software", key, fields)]
    entries += [bibtex_entry(kind, ref_key, ref_fields) for kind, ref_key, ref_fields in REFERENCES]
    return {"plain": plain, "bibtex": "\n\n".join(entries)}
