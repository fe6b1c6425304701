"""Build the documentation site strictly and fail on any warning or gap.

`zensical build --strict` aborts on broken links, missing anchors and
unresolved cross-references. It misses the warnings that griffe and
mkdocstrings log while reading docstrings, such as a documented parameter
that is not in the signature, or a section that does not parse. Those go
only to Python's `logging`, and the build still exits with status 0.

This script runs the same strict build in-process, with a logging handler
that prints and counts every record at WARNING or above. It then checks that
the API reference has an entry for every name in the `__all__` of each
public module. It exits with status 1 when the build failed, logged a
warning, or left a public name out.

Run it from anywhere; it builds the repository's `mkdocs.yml` into `site/`:

    python docs/check.py
"""

from __future__ import annotations

import importlib
import logging
import sys
from pathlib import Path

import zensical

REPOSITORY = Path(__file__).resolve().parent.parent
CONFIG_FILE = REPOSITORY / "mkdocs.yml"
# The `site_dir` of mkdocs.yml.
REFERENCE_DIR = REPOSITORY / "site" / "reference"
PUBLIC_MODULES = ("red5_bcs", "red5_bcs.testing", "red5_bcs.fastapi")
# Public names that need no entry of their own in the reference.
UNDOCUMENTED_NAMES = frozenset({"__version__"})


class WarningCounter(logging.Handler):
    """A logging handler that counts the records it receives."""

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


def main() -> int:
    """Build the site, check the reference and return the process exit status."""
    printer = logging.StreamHandler(sys.stderr)
    printer.setLevel(logging.WARNING)
    printer.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    counter = WarningCounter()
    root_logger = logging.getLogger()
    root_logger.addHandler(printer)
    root_logger.addHandler(counter)

    try:
        # A clean build renders every page again, so no warning is hidden by
        # a page that Zensical would otherwise take from its cache.
        zensical.build(str(CONFIG_FILE), {"clean": True, "strict": True})
    except RuntimeError as exc:
        print(f"The documentation build failed: {exc}", file=sys.stderr)
        return 1

    if counter.count:
        print(
            f"The documentation build logged {counter.count} warning(s), listed "
            "above; fix them so the site renders every docstring and link.",
            file=sys.stderr,
        )
        return 1

    missing = find_undocumented_names()
    if missing:
        print(
            "The API reference has no entry for these public names: "
            f"{', '.join(missing)}. Add a `::: name` line for each to a page "
            "under docs/reference/.",
            file=sys.stderr,
        )
        return 1
    return 0


def find_undocumented_names() -> list[str]:
    """Find the public names that have no anchor in the built API reference."""
    pages = sorted(REFERENCE_DIR.rglob("*.html"))
    html = "\n".join(page.read_text(encoding="utf-8") for page in pages)

    missing = []
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            qualified_name = f"{module_name}.{name}"
            if name not in UNDOCUMENTED_NAMES and f'id="{qualified_name}"' not in html:
                missing.append(qualified_name)
    return missing


if __name__ == "__main__":
    sys.exit(main())
