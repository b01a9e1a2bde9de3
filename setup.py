"""Build hook: compile the message catalogs (nnbench/locale/<lang>/LC_MESSAGES/nnbench.po)
into the .mo files a wheel carries. Everything else is in pyproject.toml.

An editable install (`pip install -e .`) reads the package from the checkout, where no
build output is visible; there nnbench.i18n compiles each .po with Babel on first use
(also whenever a .po is newer than its .mo), so a translator's edit shows at once.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildPyWithCatalogs(build_py):
    """build_py, then each packaged .po compiled to the .mo beside it."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in sorted(Path(self.build_lib, "nnbench", "locale").glob("*/LC_MESSAGES/*.po")):
            with po_path.open("rb") as stream:
                catalog = read_po(stream)
            with po_path.with_suffix(".mo").open("wb") as stream:
                write_mo(stream, catalog, use_fuzzy=False)


setup(cmdclass={"build_py": BuildPyWithCatalogs})
