"""The `ghostwright` command: serve, complete, eval, models, doctor, stats."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from pathlib import Path

from ghostwright import __version__, config as configuration
from ghostwright.evaluation import DEFAULT_SAMPLE
from ghostwright.models import store as model_store


def _parse_location(spec: str) -> tuple[Path, int, int]:
    """FILE:LINE:COL with LINE and COL counted from 1, as compilers print them."""
    try:
        file, line, col = spec.rsplit(":", 2)
        return Path(file), int(line), int(col)
    except ValueError:
        raise SystemExit(f"ghostwright complete: expected FILE:LINE:COL, got {spec!r}") from None


class _Lines:
    """Load progress as lines on stderr."""

    def report(self, message: str) -> None:
        print(f"ghostwright: {message}", file=sys.stderr)

    def end(self, message: str) -> None:
        pass


async def _lines(_title: str) -> _Lines:
    return _Lines()


def _project_root(path: Path) -> Path:
    """The nearest folder above `path` that holds a `.git`, else the file's own folder."""
    here = path.resolve().parent
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def _context_line(used: dict) -> str:
    if not used:
        return "context: this file only"
    parts = [f"{source} {info['tokens']} tokens ({', '.join(info['files'])})" if "tokens" in info
             else f"the answer begins with one of {info['names']} names the module holds" for source, info in used.items()]
    return "context: " + "; ".join(parts)


async def _complete(spec: str, as_json: bool, workspace: str | None = None) -> int:
    """The editor's path over a one-document workspace: the same engine, the same streaming loop."""
    from ghostwright.text.languages import language_of
    from ghostwright.engine.engine import Engine, Place

    path, line, col = _parse_location(spec)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"ghostwright: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    cfg, _toml, problems = configuration.load()
    for problem in problems:
        print(f"ghostwright: {problem}", file=sys.stderr)
    engine = Engine(cfg, tell=lambda message, _level: print(f"ghostwright: {message}", file=sys.stderr),
                    begin_progress=_lines)
    engine.encoding = "utf-32"  # columns count characters, as compilers print them
    engine.set_workspace([Path(workspace) if workspace else _project_root(path)], wait=True)
    uri = path.resolve().as_uri()
    engine.open(uri, text, 1, language_of("", uri))
    engine.start()
    shown = ""

    def stream(_place: Place, text: str) -> None:
        nonlocal shown
        if as_json:
            return
        if text.startswith(shown):
            sys.stdout.write(text[len(shown):])
        else:  # clean-up revised what was shown: start the line again
            sys.stdout.write("\n" + text)
        sys.stdout.flush()
        shown = text

    try:
        result = await engine.complete(uri, line - 1, col - 1, invoked=True, on_partial=stream)
    finally:
        await engine.shutdown()
    if engine.loader.error:  # already told on stderr
        return 1
    assert result is not None
    if as_json:
        where = {"line": result.place.line, "character": result.place.character}
        item = {"insertText": result.text, "range": {"start": where, "end": where},
                "stats": result.stats.to_wire() if result.stats else None, "context": engine.last_context}
        print(json.dumps(item, indent=2))
    else:
        stream(result.place, result.text)  # the answer carries the final text, no last partial
        sys.stdout.write("\n")
        print(f"ghostwright: {_context_line(engine.last_context)}", file=sys.stderr)
    return 0


def _models(args: argparse.Namespace) -> int:
    if args.action == "pull":
        try:
            model_store.pull(args.name or model_store.EMBEDDED.name, force=args.force)
        except model_store.ModelStoreError as exc:
            print(f"ghostwright: {exc}", file=sys.stderr)
            return 1
        return 0
    if args.action == "verify":
        return 0 if model_store.verify() else 1
    if args.action == "record":
        if not args.name or not Path(args.name).exists():
            print("ghostwright: models record needs the path of a model file or folder", file=sys.stderr)
            return 2
        model_store.record_in_manifest(Path(args.name).expanduser().resolve())
        print(f"recorded the sha256 of {args.name}")
        return 0
    manifest = model_store.load_manifest()
    found = False
    for m in model_store.list_local():
        found = True
        weights = m.path / "openvino_model.bin" if m.path.is_dir() else m.path
        main = manifest.get(str(weights), {}).get("sha256", "(not recorded)")
        print(f"{m.path}\n  format {m.format}  size {m.size / 1e6:.1f} MB  "
              f"licence {m.info.get('license', 'unknown')}\n  sha256 {main}")
    if not found:
        print(f"no models in {model_store.paths.models_dir()}; "
              f"run `ghostwright models pull {model_store.EMBEDDED.name}`")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ghostwright", description=__doc__)
    parser.add_argument("--version", action="version", version=f"ghostwright {__version__}")
    parser.add_argument("--log-level", default="WARNING", help="server log level (on stderr)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("serve", help="the language server on stdio (the default)")
    p = sub.add_parser("complete", help="stream the completion the editor would get at FILE:LINE:COL")
    p.add_argument("location", help="FILE:LINE:COL, line and column counted from 1")
    p.add_argument("--json", action="store_true", help="print the final item as JSON")
    p.add_argument("--workspace", metavar="DIR",
                   help="the folder whose files context may read (default: the git root above FILE, else its folder)")
    p = sub.add_parser("eval", help="holes punched in your own code, answered by each configured backend, scored")
    p.add_argument("path", nargs="?", type=Path, default=Path("."), help="the folder (default: the current one)")
    p.add_argument("--sample", type=int, default=None, metavar="N",
                   help=f"holes in all (default {DEFAULT_SAMPLE})")
    p.add_argument("--seed", type=int, default=0, help="which holes are drawn (the same seed, the same holes)")
    p.add_argument("--config", type=Path, default=None, metavar="FILE",
                   help="read this configuration file instead of the usual one")
    p.add_argument("--backend", action="append", choices=["openvino", "ollama", "openai"], default=[],
                   help="evaluate only this backend (repeatable; default: every configured one)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                   help="leave these paths out, as a .gitignore line would (repeatable)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p = sub.add_parser("models", help="list, pull or verify local models")
    p.add_argument("action", nargs="?", choices=["list", "pull", "verify", "record"], default="list")
    p.add_argument("name", nargs="?", help=f"model to pull (known: {', '.join(model_store.KNOWN_MODELS)}), or path to record")
    p.add_argument("--force", action="store_true", help="reinstall even when present")
    sub.add_parser("doctor", help="what ghostwright would run, on what, and why")
    p = sub.add_parser("stats", help="how often suggestions were shown, accepted, dismissed (counted locally)")
    p.add_argument("--json", action="store_true", help="print the counts as JSON")
    args = parser.parse_args(argv)

    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if args.command in (None, "serve"):
        from ghostwright.lsp.server import serve

        serve()
        return 0
    if args.command == "complete":
        return asyncio.run(_complete(args.location, args.json, args.workspace))
    if args.command == "eval":
        from ghostwright.evaluation import command

        if args.sample is not None and args.sample < 1:
            parser.error("eval: --sample must be at least 1")
        return asyncio.run(command.main(args.path, args.sample or DEFAULT_SAMPLE, args.seed, args.json,
                                        args.config, tuple(args.backend), tuple(args.exclude)))
    if args.command == "models":
        return _models(args)
    if args.command == "doctor":
        from ghostwright.doctor import run

        return run()
    if args.command == "stats":
        from ghostwright import stats

        return stats.run(args.json)
    parser.error(f"unknown command {args.command}")
    return 2
