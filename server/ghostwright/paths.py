"""Where ghostwright keeps models, caches and its manifest (XDG base directories)."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def config_file() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "ghostwright" / "config.toml"


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / "ghostwright"


def models_dir() -> Path:
    # An override lets tests and shared installs point at one read-only model store.
    override = os.environ.get("GHOSTWRIGHT_MODELS_DIR")
    return Path(override) if override else cache_dir() / "models"


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "ghostwright"
