"""ghostwright: a local-first code-completion language server that streams ghost text."""

__version__ = "0.1.0"
