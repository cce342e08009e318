"""Kernel templates as real Python modules: the loops, chunking and validation, written once per
score shape (``scalar.py`` for u = x̂ᵀβ, ``bernoulli.py`` adding class probabilities to it), and
the helpers every generated module shares (``common.py``).

They hold no per-sample mathematics. ``symlogit.codegen.writer`` reads their text and fills it
(``fill``): a region between ``# printed: NAME begin`` and ``# printed: NAME end`` is replaced by
the functions printed from a family's verified derivation, a line ending in ``# printed: NAME``
gets a printed right-hand side, and a ``# template-only`` block (imports that make the template
importable and lintable on its own) is dropped. The stand-ins the templates carry in those places
are correct but slow (libm calls) or raise NotImplementedError: only generated modules run.

Why modules and not strings: the loops are read, linted and diffed as code (no ``{{ }}``
escapes), and a template error shows up as a Python error in the template, not in generated/.
"""
