"""Two versions of the code on the same pages, timed in turns: what a change saves, on a noisy machine.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/imr_scale .venv/bin/python bench/compare_pages.py \
        --before REV [--after WORKTREE] [--only REGEX] [--rounds 3] [--requests 15] [--json FILE]

A shared machine's speed drifts by 20 to 60 % within minutes, so two `bench/scale.py` runs taken
apart compare the machine as much as the code. Here the version at git revision `--before`
(checked out in a temporary worktree) and the working tree (`--after`, default this checkout)
each time the same pages of the database DATABASE_URL names (built by `bench/scale.py`), in a
fresh process, one after the other, `--rounds` times; each page's figure is the median of its
per-round medians, so a slow minute costs both versions alike. Pages: those of
`bench.scale_pages.page_list` (without discovery: every queue's first page, the case pages,
searches, lists and each admin list) whose name matches `--only`.
Prints before, after and the change per page; `--json FILE` writes them.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child(tree: str, pages: list[list[str]], requests: int) -> None:
    """In a fresh process on `tree`'s code: each page's median in ms, as JSON on stdout."""
    sys.path.insert(0, tree)
    os.chdir(tree)
    from bench.scale import _setup_django

    _setup_django(os.environ["DATABASE_URL"])
    from bench.scale_pages import users
    from tests.second_factor import SecondFactorClient

    who = users()
    clients: dict[str, SecondFactorClient] = {}
    for _name, user, url in pages:
        if user not in clients:
            clients[user] = SecondFactorClient()
            clients[user].force_login(who[user])
        for _ in range(3):
            clients[user].get(url, secure=True)
    gc.freeze()
    medians = {}
    for name, user, url in pages:
        times = []
        for _ in range(requests):
            started = time.perf_counter()
            clients[user].get(url, secure=True)
            times.append((time.perf_counter() - started) * 1000)
        medians[name] = statistics.median(times)
    print(json.dumps(medians))


def _pages(only: str | None) -> list[list[str]]:
    sys.path.insert(0, str(ROOT))
    from bench.scale import _setup_django

    _setup_django(os.environ["DATABASE_URL"])
    from bench.scale_pages import page_list

    chosen = []
    for page in page_list(client_for=lambda _key: None, discover=False):
        if only and not re.search(only, page.name):
            continue
        chosen.append([page.name, page.user, page.urls()[0]])
    return chosen


def _run(tree: str, pages: list[list[str]], requests: int) -> dict[str, float]:
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            tree,
            "--pages",
            json.dumps(pages),
            "--requests",
            str(requests),
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "LOG_LEVEL": "ERROR"},
    )
    if result.returncode != 0:
        sys.exit(f"timing {tree} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", help="git revision of the version to compare with")
    parser.add_argument("--after", default=str(ROOT), help="the other version's tree (default: this one)")
    parser.add_argument("--only", help="time only the pages whose name matches this regular expression")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--pages", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("set DATABASE_URL to a database built by bench/scale.py")
    if args.child:
        _child(args.child, json.loads(args.pages), args.requests)
        return
    if not args.before:
        parser.error("--before REV is required")
    pages = _pages(args.only)
    if not pages:
        sys.exit("no page matches --only")
    with tempfile.TemporaryDirectory(prefix="imr-before-") as folder:
        before_tree = str(Path(folder) / "tree")
        subprocess.run(
            ["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", before_tree, args.before],
            check=True,
        )
        try:
            runs: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
            for _round in range(args.rounds):
                runs["before"].append(_run(before_tree, pages, args.requests))
                runs["after"].append(_run(args.after, pages, args.requests))
        finally:
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", before_tree], check=False
            )
    figures = {}
    print(f"{'page':60s} {'before':>8s} {'after':>8s} {'change':>7s}   (ms, median of {args.rounds} rounds)")
    for name, _user, _url in pages:
        before = statistics.median(run[name] for run in runs["before"])
        after = statistics.median(run[name] for run in runs["after"])
        change = (after - before) / before * 100 if before else 0.0
        figures[name] = {
            "before_ms": round(before, 1),
            "after_ms": round(after, 1),
            "change_pct": round(change),
        }
        print(f"{name:60s} {before:8.1f} {after:8.1f} {change:+6.0f}%")
    if args.json:
        args.json.write_text(
            json.dumps(
                {"before": args.before, "after": args.after, "rounds": args.rounds, "pages": figures},
                indent=2,
            )
        )
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
