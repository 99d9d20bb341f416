"""The project is described in pyproject.toml; this file only adds the optional C accelerator of
the Quotebank import (quotes/importing/_speedups.c). `optional=True`: without a C compiler the
install goes on and the import runs in pure Python (quotes/importing/quotebank.py)."""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "quotes.importing._speedups",
            ["quotes/importing/_speedups.c"],
            optional=True,
            extra_compile_args=["-O2"],
        )
    ]
)
