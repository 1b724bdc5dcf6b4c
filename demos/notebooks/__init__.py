"""The labs as Jupyter notebooks, built from percent-format sources by :mod:`demos.notebooks.build`.

Each ``<name>.py`` here is the one source of a notebook: ``python -m demos.notebooks.build`` writes
``<name>.ipynb`` (the solution version) and ``exercises/<name>.ipynb`` (the student version, where
the code between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` is left to fill in).
"""
__all__ = []
