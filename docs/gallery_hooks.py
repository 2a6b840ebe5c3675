"""Hooks that let sphinx-gallery execute the example scripts as they are.

The examples are command-line scripts: they end with
``if __name__ == "__main__": sys.exit(main())``, and sphinx-gallery runs them
as ``__main__``. ``SystemExit`` is not an ``Exception``, so sphinx-gallery does
not catch it: ``sys.exit(0)`` would silently stop the whole Sphinx build (with
exit status 0 and no output written). :func:`guard_sys_exit` is a
``reset_modules`` hook, called before and after each example: before, it
replaces :func:`sys.exit` by a function that returns on status 0 or None and
raises an ordinary ``RuntimeError`` otherwise (so that sphinx-gallery reports a
failing example); after, it restores the original.

The scripts save their figures as PNG files (``--out``, with a default name)
and close them, so sphinx-gallery's matplotlib scraper finds no open figure:
:func:`png_scraper` adds the PNG files an example wrote next to itself.

The hooks are named in ``conf.py`` by their qualified name (a string), so that
Sphinx can pickle the configuration.
"""

import shutil
import sys
from pathlib import Path

_ORIGINAL_EXIT = sys.exit
_STATE = {"before": {}, "shown": set()}  # of the example that runs


def _gallery_exit(status=None):
    """``sys.exit`` inside an example: return on success, raise on failure."""
    if status is None or status == 0:
        return
    raise RuntimeError(f"the example called sys.exit({status!r})")


def guard_sys_exit(gallery_conf, fname, when):
    """Before an example: guard ``sys.exit``, note the PNG files. After: restore."""
    sys.exit = _gallery_exit if when == "before" else _ORIGINAL_EXIT
    if when == "before":
        dirs = gallery_conf["examples_dirs"]
        dirs = [dirs] if isinstance(dirs, str) else dirs
        src_dir = Path(gallery_conf["src_dir"])
        _STATE["before"] = {
            path.resolve(): path.stat().st_mtime_ns
            for folder in dirs
            for path in (src_dir / folder).rglob("*.png")
        }
        _STATE["shown"] = set()


def png_scraper(block, block_vars, gallery_conf):
    """Show the PNG files the example wrote (or rewrote) in its folder."""
    from sphinx_gallery.scrapers import figure_rst

    folder = Path(block_vars["src_file"]).parent
    written = sorted(
        path
        for path in (p.resolve() for p in folder.glob("*.png"))
        if _STATE["before"].get(path) != path.stat().st_mtime_ns
        and path not in _STATE["shown"]
    )
    image_paths = []
    for path, image_path in zip(written, block_vars["image_path_iterator"]):
        shutil.copyfile(path, image_path)
        _STATE["shown"].add(path)
        image_paths.append(image_path)
    return figure_rst(image_paths, gallery_conf["src_dir"])
