"""The one place the version is defined (pyproject.toml and the package read it from here).

A module of its own, below everything, so that the cache folder's name (:mod:`edition.cache`)
does not import the package's facade, which imports validation, which uses the cache.
"""

__version__ = "0.2.0"
