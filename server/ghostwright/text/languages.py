"""The languages ghostwright knows: one entry each, read by syntax, context, stops and clean-up."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote, urlparse

# What ends a line that opens a block whose body comes on the next lines, where a language does
# not say otherwise: a colon, a bracket, an arrow, `do`, `then`.
GENERIC_OPENER = re.compile(r"(:|\{|\(|\[|=>|\bdo|\bthen)\s*$")


@dataclass(frozen=True)
class Language:
    """Everything the code branches on for one language; the defaults are the line/indentation
    fallback that an unknown language gets."""

    name: str
    # (wheel module, function returning the grammar): shipped with the package, never fetched.
    grammar: tuple[str, str] | None = None
    extensions: tuple[str, ...] = ()  # file name endings, lower case, with the dot
    aliases: tuple[str, ...] = ()  # other LSP languageIds and Emacs major-mode names for it
    line_comment: str | None = None
    block_opener: re.Pattern = GENERIC_OPENER  # a line ending so opens a block
    top_level: tuple[str, ...] = ()  # keywords at column 0 that begin the next definition
    # Blocks open with `:` and hold their body by indentation alone; `empty_body` is the
    # statement that stands for a body not written yet (Python's `pass`).
    colon_blocks: bool = False
    empty_body: str = ""
    indent_unit: str = "    "  # the indentation step where the text shows none
    lisp: bool = False  # parens only, read by text/lisp.py; top-level forms start at column 0
    # How context/ reads the file's imports, resolves them to workspace files and cuts its
    # outline: "python", "ecmascript", "go", "rust", "c", "lisp"; languages of one family also
    # share their open documents as similar code. None: no imports read, outline by braces.
    family: str | None = None
    # `from pkg import name` may name a module of the package (a file beside `__init__.py`),
    # and `from . import sibling` names a file.
    package_modules: bool = False
    # An `import *` in a module that re-exports is followed to the files it names.
    star_reexports: bool = True
    data: bool = False  # a data format, not code: the bench punches no holes in it
    docstrings: bool = False  # triple-quoted strings hold prose: the bench holes them as comments
    # `#` lines are preprocessor directives: the bench holes them as decorators. Set for C only,
    # so that the published bench holes stay what they are.
    preprocessor: bool = False


_C_FAMILY = dict(line_comment="//")
_ECMASCRIPT = dict(family="ecmascript", line_comment="//")
_JS_TOP = ("function ", "class ", "export ", "import ", "const ", "let ")
_TS_TOP = ("function ", "class ", "export ", "import ", "interface ", "type ")
_DATA_OPENER = re.compile(r"[{\[]\s*$")

TABLE: tuple[Language, ...] = (
    Language("python", ("tree_sitter_python", "language"), (".py", ".pyi"), line_comment="#",
             block_opener=re.compile(r":\s*(#.*)?$|[(\[{]\s*$"),
             top_level=("def ", "class ", "async def ", "@", "if __name__"),
             colon_blocks=True, empty_body="pass", family="python", package_modules=True,
             star_reexports=False, docstrings=True),
    Language("javascript", ("tree_sitter_javascript", "language"), (".js", ".mjs", ".cjs", ".jsx"),
             ("js",), top_level=_JS_TOP, **_ECMASCRIPT),
    Language("javascriptreact", ("tree_sitter_javascript", "language"), (), ("js-jsx",),
             top_level=_JS_TOP, **_ECMASCRIPT),
    Language("typescript", ("tree_sitter_typescript", "language_typescript"), (".ts",), ("ts",),
             top_level=_TS_TOP, **_ECMASCRIPT),
    Language("typescriptreact", ("tree_sitter_typescript", "language_tsx"), (".tsx",), ("tsx",),
             top_level=_TS_TOP, **_ECMASCRIPT),
    Language("go", ("tree_sitter_go", "language"), (".go",), ("golang",),
             top_level=("func ", "type ", "var ", "const ", "import "), indent_unit="\t", family="go",
             **_C_FAMILY),
    Language("rust", ("tree_sitter_rust", "language"), (".rs",), ("rustic",),
             top_level=("fn ", "pub ", "impl ", "struct ", "enum ", "mod ", "use ", "#["), family="rust",
             **_C_FAMILY),
    Language("c", ("tree_sitter_c", "language"), (".c", ".h"),
             top_level=("#include", "#define", "static ", "typedef "), family="c", preprocessor=True,
             **_C_FAMILY),
    Language("cpp", ("tree_sitter_cpp", "language"), (".cc", ".cpp", ".cxx", ".hpp"), ("c++",),
             top_level=("#include", "#define", "static ", "typedef ", "namespace ", "template"),
             family="c", **_C_FAMILY),
    Language("java", ("tree_sitter_java", "language"), (".java",),
             top_level=("public ", "private ", "protected ", "class ", "import "), **_C_FAMILY),
    Language("lua", ("tree_sitter_lua", "language"), (".lua",), line_comment="--",
             block_opener=re.compile(r"(\bthen|\bdo|\belse|\brepeat|\bfunction\b[^()]*\([^()]*\))\s*$"
                                     r"|[{(]\s*$"),
             top_level=("function ", "local function ")),
    Language("shellscript", ("tree_sitter_bash", "language"), (".sh", ".bash"), ("shell", "sh", "bash"),
             line_comment="#", block_opener=re.compile(r"(\bthen|\bdo|\belse)\s*$|[{(]\s*$"),
             top_level=("function ",)),
    Language("ruby", ("tree_sitter_ruby", "language"), (".rb",), line_comment="#",
             block_opener=re.compile(r"(\bdo(\s*\|[^|]*\|)?|\bthen|\belse|\bbegin)\s*$|^\s*(def|class|"
                                     r"module|if|unless|while|until|case)\b.*$|[{(\[]\s*$"),
             top_level=("def ", "class ", "module ")),
    Language("json", ("tree_sitter_json", "language"), (".json",), line_comment="//",
             block_opener=_DATA_OPENER, data=True),
    Language("yaml", ("tree_sitter_yaml", "language"), (".yaml", ".yml"), line_comment="#",
             block_opener=re.compile(r":\s*$|-\s*$"), data=True),
    Language("toml", ("tree_sitter_toml", "language"), (".toml",), line_comment="#",
             block_opener=_DATA_OPENER, data=True),
    Language("emacs-lisp", None, (".el",), ("elisp",), line_comment=";",
             top_level=("(defun ", "(defvar ", "(defcustom ", "(defmacro ", "(provide ", "(require "),
             lisp=True, family="lisp"),
)

LANGUAGES: dict[str, Language] = {lang.name: lang for lang in TABLE}
_BY_ALIAS = {alias: lang.name for lang in TABLE for alias in lang.aliases}
_BY_EXTENSION = {ext: lang.name for lang in TABLE for ext in lang.extensions}


def get(name: str) -> Language:
    """The entry for one of our language names; the fallback entry for any other."""
    return LANGUAGES.get(name) or Language(name)


def language_of(language_id: str, uri: str) -> str:
    """Our language name: from the LSP languageId, then the file name; else the languageId as
    given, which gets the line/indentation fallback."""
    lowered = (language_id or "").lower()
    for tail in ("-mode", "-ts"):  # Emacs major-mode names as some clients send them
        lowered = lowered.removesuffix(tail)
    lowered = _BY_ALIAS.get(lowered, lowered)
    if lowered in LANGUAGES:
        return lowered
    path = PurePosixPath(unquote(urlparse(uri).path))
    return _BY_EXTENSION.get(path.suffix.lower(), lowered)
