"""Sphinx configuration of the sklearn-pid documentation.

Build it from the repository root, warnings as errors, without executing the
examples (what CI runs)::

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html -D plot_gallery=0 docs docs/_build/html

Leave out ``-D plot_gallery=0`` to run the examples and show their output
(several minutes). The Markdown pages are the user guide (MyST); the API
reference is generated from the numpydoc docstrings by autosummary.
"""

import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.transforms.post_transforms import SphinxPostTransform

import sklearn_pid

# gallery_hooks.py lives next to this file.
sys.path.insert(0, str(Path(__file__).resolve().parent))

# -- Project -----------------------------------------------------------------

project = "sklearn-pid"
author = "The sklearn-pid developers"
copyright = "the sklearn-pid developers"
# The version shown in the page titles and on the API reference (``|release|``)
# is the installed package's, so that the docs cannot drift from the code.
release = sklearn_pid.__version__  # full version, e.g. "0.1.0.dev0"
version = ".".join(release.split(".")[:2])  # short X.Y version, e.g. "0.1"

# -- General -----------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]

# -- MyST (the Markdown user guide) ------------------------------------------

# The pages link to sections of each other by GitHub-style anchors
# (``pidcvx.md#per-sample-values``): generate them for headings down to ###.
myst_heading_anchors = 3

# -- autodoc / autosummary / numpydoc ----------------------------------------

autosummary_generate = True
autodoc_typehints = "none"
autodoc_member_order = "bysource"
# The class template (_templates/autosummary/class.rst) documents every public
# method in full, so numpydoc does not add a second table of them.
numpydoc_show_class_members = False


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document only the members a class gets from this package.

    The class template asks for inherited members, so that a method defined on
    a private base class of the package (``_FusionClassifier.fit``,
    ``DecompositionMixin.get_feature_names_out``) appears on the public class.
    Members inherited from scikit-learn, skorch, torch or the standard library
    (``get_params``, ``set_output``, ``fit_transform``, the ``torch.nn.Module``
    API, ...) are documented by those projects and are left out here.
    """
    if what != "class":
        return None
    target = getattr(obj, "fget", obj)  # properties
    target = getattr(target, "__func__", target)  # class/static methods
    module = getattr(target, "__module__", None) or ""
    if module != "sklearn_pid" and not module.startswith("sklearn_pid."):
        return True
    return None


# -- Links from the user guide to repository files outside docs/ --------------

REPOSITORY = "https://github.com/sklearn-pid/sklearn-pid"
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


class _RepositoryLinks(SphinxPostTransform):
    """Resolve Markdown links to repository files outside ``docs/``.

    The user guide is read on GitHub as well as here, so it links to, e.g.,
    ``../benchmarks/RESULTS.md`` by relative path. Those files are not Sphinx
    documents, so MyST cannot resolve the links (``myst.xref_missing``). This
    runs just before MyST's resolver and, for a link to an existing Markdown
    or reStructuredText file of the repository outside ``docs/``, points it to
    the gallery (``examples/README.md``) or to the file on GitHub. Links to
    files that do not exist are left alone, so that MyST still reports them.
    """

    default_priority = 8  # MystReferenceResolver runs at 9

    def run(self, **kwargs):
        srcdir = Path(self.env.srcdir).resolve()
        for node in list(self.document.findall(addnodes.pending_xref)):
            if node.get("reftype") != "myst" or node.get("refdomain") != "doc":
                continue
            target = node["reftarget"]
            if target in self.env.all_docs:
                continue
            base = (srcdir / target).resolve()
            for suffix in (".md", ".rst"):
                path = base.with_name(base.name + suffix)
                if path.is_file() and srcdir not in path.parents:
                    break
            else:
                continue
            try:
                relative = path.relative_to(REPOSITORY_ROOT).as_posix()
            except ValueError:
                continue
            if relative == "examples/README.md":
                node["reftarget"] = "auto_examples/index"
                node["reftargetid"] = None
                continue
            anchor = node.get("reftargetid")
            uri = f"{REPOSITORY}/blob/main/{relative}"
            if anchor:
                uri += f"#{anchor}"
            link = nodes.reference("", "", internal=False, refuri=uri)
            link += node.children
            node.replace_self(link)


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.add_post_transform(_RepositoryLinks)


# -- intersphinx -------------------------------------------------------------

# The extension is enabled but maps no project: the build must not touch the
# network (``intersphinx_mapping`` entries download their inventories at build
# time). To link to, e.g., scikit-learn, add a mapping to a local copy of its
# ``objects.inv``: ``{"sklearn": ("https://scikit-learn.org/stable/",
# "_inventories/sklearn.inv")}``.
intersphinx_mapping = {}

# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    # Every examples/plot_*.py is part of the gallery (and run, unless
    # ``-D plot_gallery=0``). The scripts parse ``sys.argv[1:]`` with argparse;
    # sphinx-gallery runs them with ``sys.argv = [script]`` (its default
    # ``reset_argv`` gives no arguments), so each uses its defaults.
    "filename_pattern": r"/plot_",
    # The scripts end with ``sys.exit(main())``: see gallery_hooks.py.
    "reset_modules": ("matplotlib", "gallery_hooks.guard_sys_exit"),
    "reset_modules_order": "both",
    # They save their figures to PNG files and close them: show those files.
    "image_scrapers": ("matplotlib", "gallery_hooks.png_scraper"),
    "download_all_examples": False,
}

# -- HTML --------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"sklearn-pid {release}"
