"""What a model is and under which licence: read it, classify it, apply the policy, notice changed files."""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from ghostwright.trust import gguf_meta, regular_files, safe_formats
from ghostwright.models import store as model_store
from ghostwright.config import LicenceConfig

log = logging.getLogger(__name__)

PERMISSIVE, RESTRICTED, UNKNOWN = "permissive", "restricted", "unknown"

# SPDX ids (and the spellings model hubs use) of licences that put no limit on use.
_PERMISSIVE_IDS = {
    "mit", "apache-2.0", "apache 2.0", "apache2", "apache license 2.0", "bsd-2-clause", "bsd-3-clause",
    "bsd", "isc", "unlicense", "cc0-1.0", "cc-by-4.0", "cc-by-sa-4.0", "zlib", "bsl-1.0", "mpl-2.0",
    "0bsd", "upl-1.0", "openmdw-1.0",
}
# Licences that restrict use, users or fields, or bind to a jurisdiction: matched anywhere.
_RESTRICTED = [
    (re.compile(r"deepseek", re.I), "DeepSeek License (use restrictions; PRC law, Hangzhou courts)"),
    (re.compile(r"llama[\s\-_.]?\d|llama\s*(2|3)?[\s\-]*community|meta\s+llama|\bllama\b", re.I),
     "Llama Community License (acceptable-use policy, 700M-user cap)"),
    (re.compile(r"gemma", re.I), "Gemma Terms of Use (prohibited-use policy)"),
    (re.compile(r"open[\s\-]?rail|\brail\b|responsible ai licen[cs]e", re.I), "OpenRAIL (use restrictions)"),
    (re.compile(r"qwen[\s\-_]*research|tongyi\s+qianwen", re.I), "Qwen Research / Tongyi Qianwen licence"),
    (re.compile(r"\bcc-by-nc|non[\s\-]?commercial", re.I), "non-commercial licence"),
    (re.compile(r"mistral\s+(ai\s+)?research|\bmrl\b|mnpl", re.I), "Mistral research/non-production licence"),
    (re.compile(r"nvidia\s+open\s+model|falcon[\s\-]*llm|ai2\s+impact|health\s+ai\s+developer", re.I),
     "vendor model licence with use restrictions"),
]
# Phrases that identify a permissive licence's full text.
_PERMISSIVE_TEXT = [
    (re.compile(r"apache\s+license[\s,]+version\s+2\.0", re.I), "apache-2.0"),
    (re.compile(r"permission is hereby granted, free of charge", re.I), "mit"),
    (re.compile(r"redistribution and use in source and binary forms", re.I), "bsd"),
    (re.compile(r"this is free and unencumbered software", re.I), "unlicense"),
]


@dataclass
class Licence:
    name: str  # as found: an SPDX id, a hub id, or the first line of a licence text
    klass: str  # permissive | restricted | unknown
    source: str  # where it was read
    why: str = ""

    def to_wire(self) -> dict:
        return {"name": self.name, "kind": self.klass, "source": self.source, "why": self.why}


def classify(text: str) -> tuple[str, str]:
    """(class, reason) of a licence id or text."""
    norm = text.strip().lower()
    if not norm or norm in ("other", "unknown", "none", "proprietary"):
        return UNKNOWN, "no licence named" if not norm else f"licence given as {norm!r}"
    if norm in _PERMISSIVE_IDS:
        return PERMISSIVE, norm
    for pattern, why in _RESTRICTED:
        if pattern.search(text):
            return RESTRICTED, why
    for pattern, spdx in _PERMISSIVE_TEXT:
        if pattern.search(text):
            return PERMISSIVE, spdx
    return UNKNOWN, f"unrecognised licence {text.strip().splitlines()[0][:80]!r}"


def from_text(text: str, source: str) -> Licence:
    """A Licence from free text (a LICENSE file, Ollama's /api/show `license`)."""
    klass, why = classify(text)
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    name = why if klass == PERMISSIVE else first[:80] or "none"
    return Licence(name, klass, source, why)


def _from_id(value: str, source: str, extra: str = "") -> Licence:
    klass, why = classify(f"{value} {extra}".strip() if value.strip().lower() == "other" and extra else value)
    return Licence(value, klass, source, why)


def _front_matter(readme: Path) -> dict[str, str]:
    """The simple `key: value` lines of a README's YAML front matter (model cards)."""
    try:
        text = regular_files.read_text(readme, 1 << 20)
    except OSError:
        return {}
    if not text.startswith("---"):
        return {}
    end = text.find("\n---", 3)
    found: dict[str, str] = {}
    for line in text[3:end if end > 0 else len(text)].splitlines():
        m = re.match(r"^([A-Za-z_]+):\s*(.+?)\s*$", line)
        if m:
            found[m.group(1).lower()] = m.group(2).strip("'\"")
    return found


def _from_gguf(g: Path) -> Licence | None:
    try:
        meta = gguf_meta.read_metadata(g)
    except (OSError, gguf_meta.GGUFError):
        return None
    value = meta.get("general.license") or meta.get("general.license.name")
    if not value:
        return None
    extra = str(meta.get("general.license.name") or meta.get("general.license.link") or "")
    return _from_id(str(value), f"GGUF metadata of {g.name}", extra)


def _from_folder(folder: Path) -> Licence | None:
    info = model_store.read_model_info(folder)
    if info.get("license"):
        return _from_id(str(info["license"]), f"{folder / model_store.MODEL_INFO_FILE}")
    card = _front_matter(folder / "README.md")
    if card.get("license"):
        extra = card.get("license_name", "") + " " + card.get("license_link", "")
        return _from_id(card["license"], f"front matter of {folder / 'README.md'}", extra.strip())
    try:
        config = json.loads(regular_files.read_text(folder / "config.json", 16 << 20))
        if isinstance(config, dict) and isinstance(config.get("license"), str):
            return _from_id(config["license"], f"{folder / 'config.json'}")
    except (OSError, ValueError):
        pass
    for name in ("LICENSE", "LICENSE.txt", "LICENSE.md", "LICENCE", "license.txt"):
        f = folder / name
        if f.is_file():
            try:
                return from_text(regular_files.read_text(f, 80000)[:20000], str(f))
            except OSError:
                continue
    return None


def read_licence(path: Path) -> Licence:
    """The licence of a .gguf file or a model folder (IR or safetensors), from the best source found.

    A GGUF file speaks for itself first; a folder by its own files (our model info, the model
    card's front matter, config.json, LICENSE), then by a GGUF it was exported from.
    """
    if path.is_file():
        found = (_from_gguf(path) if path.suffix == ".gguf" else None) or _from_folder(path.parent)
    else:
        found = _from_folder(path) or next(
            (lic for g in sorted(path.glob("*.gguf")) if (lic := _from_gguf(g))), None)
    return found or Licence("none found", UNKNOWN, str(path),
                            "no GGUF licence key, model card, config or LICENSE file")


@dataclass
class Vetting:
    """The verdict on one model before it is loaded."""

    model: str
    licence: Licence
    action: str  # allow | warn | deny
    changed: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        lic = self.licence
        head = f"model {self.model}: licence {lic.name} ({lic.klass}"
        head += f": {lic.why})" if lic.why and lic.why != lic.name.lower() else ")"
        head += f", read from {lic.source}"
        if self.action == "deny":
            return head + f". Not loaded: licence.{lic.klass} = deny in the configuration"
        if self.action == "warn":
            return head + f". Loaded; read the licence before you rely on it (licence.{lic.klass} = warn)"
        return head

    def to_wire(self) -> dict:
        return {"model": self.model, "licence": self.licence.to_wire(), "action": self.action,
                "changed": self.changed, "notes": self.notes}


def policy_for(licence: Licence, policy: LicenceConfig) -> str:
    return getattr(policy, licence.klass)


def vet_backend(backend: object, policy: LicenceConfig) -> Vetting | None:
    """Vet the local model a backend would load (None for a backend without local files)."""
    from ghostwright.backends.base import BackendError

    # A router vets the local model of its slots (the Ollama one is vetted by its own load).
    inner = [b for b in getattr(backend, "slots", {}).values() if hasattr(b, "local_model")]
    locate = getattr(inner[0] if inner else backend, "local_model", None)
    if locate is None:
        return None
    try:
        return vet(locate(), policy)
    except safe_formats.UnsafeFormatError as exc:
        raise BackendError(str(exc)) from None


def vet(path: Path, policy: LicenceConfig, check_manifest: bool = True) -> Vetting:
    """Format check (raises UnsafeFormatError), licence and policy, and changed-file check."""
    notes = safe_formats.check_model(path)
    licence = read_licence(path)
    vetting = Vetting(str(path), licence, policy_for(licence, policy), notes=notes)
    if check_manifest:
        vetting.changed = model_store.check_files(path)
    return vetting
