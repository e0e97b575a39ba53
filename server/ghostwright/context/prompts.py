"""Prompt templates: fill-in-the-middle per model family, or a plain prefix for models without FIM."""

from __future__ import annotations

import re
from dataclasses import dataclass


def at_token_boundary(prefix: str) -> str:
    """The prefix as the prompt ends it: before its last blank when it ends in one.

    A tokenizer keeps one blank with the word after it (` foo`; an indentation of eight is seven
    blanks, then ` def`), so a prompt that ends in the blank the user typed asks the model to go on
    from a split its training never had. Without that blank the prompt ends where a token does,
    the model writes the blank and the word as one token, and the clean-up drops the blank again
    (`cleanup.strip_typed_blanks`). The other blanks stay: they keep the model at the cursor's
    indentation (without them, HumanEval's multi-line answers lost a task in each file size)."""
    return prefix[:-1] if prefix[-1:] in (" ", "\t") else prefix


@dataclass(frozen=True)
class RepoFiles:
    """Other files' text for the prompt: (path, text) pairs, the current file's path and the repository's name."""

    repo: str
    path: str
    files: tuple[tuple[str, str], ...]
    comment: str = "#"  # the current language's line comment, for families without file tokens

    def header(self) -> str:
        """The files as comments (`# Path: util.py`, then each line commented), for families without file tokens."""
        c = self.comment
        parts = []
        for path, text in self.files:
            parts.append(f"{c} Path: {path}\n" + "".join(f"{c} {line}".rstrip() + "\n" for line in text.split("\n")))
        return "".join(parts) + f"{c} Path: {self.path}\n"


@dataclass(frozen=True)
class Template:
    name: str
    prefix: str = ""  # the FIM tokens around the two halves; all empty = prefix-only prompt
    suffix: str = ""
    middle: str = ""
    bos: str = ""
    # Suffix-first (SPM) order puts the suffix before the prefix.
    suffix_first: bool = False
    # Tokens that end a completion for this family (FIM markers, end of text, file separators).
    stop_tokens: tuple[str, ...] = ()
    # The repository-level format the family was trained with: a repository name, then each file
    # after a separator and its path, the current file last. Empty: other files go in as comments.
    repo_name: str = ""
    file_sep: str = ""

    @property
    def has_fim(self) -> bool:
        return bool(self.prefix)

    def render(self, prefix: str, suffix: str, files: RepoFiles | None = None) -> str:
        """The prompt; other files (when given) before the current one, in the family's own format."""
        if files is not None and files.files:
            if not self.file_sep:
                return self.render(files.header() + prefix, suffix)
            repo = f"{self.repo_name}{files.repo}\n" + "".join(
                f"{self.file_sep}{path}\n{text}\n" for path, text in files.files) + f"{self.file_sep}{files.path}\n"
            return self.bos + repo + self.render(prefix, suffix)[len(self.bos):]
        if not self.has_fim:
            return self.bos + prefix
        if self.suffix_first:
            return f"{self.bos}{self.suffix}{suffix}{self.prefix}{prefix}{self.middle}"
        return f"{self.bos}{self.prefix}{prefix}{self.suffix}{suffix}{self.middle}"


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "qwen2.5-coder", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
            stop_tokens=("<|endoftext|>", "<|fim_pad|>", "<|file_sep|>", "<|repo_name|>",
                         "<|im_end|>", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>"),
            repo_name="<|repo_name|>", file_sep="<|file_sep|>",
        ),
        Template(
            "deepseek-coder", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>",
            stop_tokens=("<｜end▁of▁sentence｜>", "<|EOT|>", "<｜fim▁begin｜>"),
        ),
        Template(
            # V2 (Lite and full) keeps v1's FIM tokens; its end of text is the sentence end.
            "deepseek-coder-v2", "<｜fim▁begin｜>", "<｜fim▁hole｜>", "<｜fim▁end｜>",
            stop_tokens=("<｜end▁of▁sentence｜>", "<｜fim▁begin｜>", "<｜fim▁hole｜>"),
        ),
        Template(
            "starcoder", "<fim_prefix>", "<fim_suffix>", "<fim_middle>",
            stop_tokens=("<|endoftext|>", "<file_sep>", "<fim_prefix>", "<|file_separator|>"),
        ),
        Template(
            "codellama", "<PRE> ", " <SUF>", " <MID>",
            stop_tokens=("<EOT>", "</s>"),
        ),
        Template(
            # Codestral's FIM puts the suffix first.
            "codestral", "[PREFIX]", "[SUFFIX]", "", suffix_first=True,
            stop_tokens=("</s>", "[PREFIX]", "[SUFFIX]"),
        ),
        Template(
            "codegemma", "<|fim_prefix|>", "<|fim_suffix|>", "<|fim_middle|>",
            stop_tokens=("<|file_separator|>", "<end_of_turn>", "<eos>", "<|fim_prefix|>"),
        ),
        Template("plain", stop_tokens=("<|endoftext|>", "</s>", "<|im_end|>", "<eos>")),
    )
}
_BY_NAME = (
    (r"qwen2\.5-?coder|qwen2\.5.*coder|qwen-?coder|qwen3-?coder", "qwen2.5-coder"),
    (r"deepseek.?coder.?v2", "deepseek-coder-v2"),
    (r"deepseek.?coder", "deepseek-coder"),
    (r"starcoder|santacoder|refact", "starcoder"),
    (r"codellama|code-llama", "codellama"),
    (r"codestral", "codestral"),
    (r"codegemma", "codegemma"),
)


def detect_template(*names: str) -> Template:
    """The template for a model, judged from its metadata name, family or file name."""
    for name in names:
        lowered = (name or "").lower()
        for pattern, template in _BY_NAME:
            if re.search(pattern, lowered):
                return TEMPLATES[template]
    return TEMPLATES["plain"]
