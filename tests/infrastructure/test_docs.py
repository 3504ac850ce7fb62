"""The docs' commands and names hold: every `vwr` and `make` flag or target a doc shows exists, and
every stack parameter and output a doc lists is in the synthesized templates.

Read: README.md, docs/*.md, local/README.md, benchmarks/README.md. Commands come from their code
blocks and from inline code that starts with `vwr ` or `make `; flags are checked against
`vwr <command> --help` and targets against the Makefile's rules. Names come from the tables whose
header names a stack (or template) column and a parameter or output column, and from the
`--parameters` of every `npx aws-cdk@2 deploy` a code block shows. The templates are the session
synth of tests/infrastructure (no second synth).
"""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

from tests.infrastructure.conftest import Synth

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted(
    [
        REPO_ROOT / "README.md",
        REPO_ROOT / "local" / "README.md",
        REPO_ROOT / "benchmarks" / "README.md",
        *(REPO_ROOT / "docs").glob("*.md"),
    ]
)
_FENCE = re.compile(r"^ *```[^\n]*\n(.*?)^ *```", re.M | re.S)
_INLINE = re.compile(r"(?<!`)`((?:\.venv/bin/)?(?:vwr|make) [^`]+)`(?!`)")
_SEPARATORS = {"&&", "||", "|", ";", ">", "2>", "&"}

# A doc's stack or template column, as the words it uses -> the session synth's stacks.
_STACKS = {
    "core": ("core",),
    "authorizer": ("authorizer",),
    "sample": ("sample",),
    "inlet": ("inlet",),
    "openid": ("openid",),
    "edge": ("edge",),
    "getting started": ("gs.core", "gs.authorizer", "gs.sample"),
}


def _deployed(target: str) -> tuple[str, ...]:
    """The session synth's stacks a `deploy` target names: `GettingStarted/*`, `GettingStarted-Core`,
    `WaitingRoom-Inlet` or the same stack under another `stack_prefix`."""
    if target == "GettingStarted/*":
        return _STACKS["getting started"]
    prefix, _, kind = target.rpartition("-")
    stack = kind.lower()
    if not prefix or stack not in _STACKS:
        return ()
    return (f"gs.{stack}",) if prefix == "GettingStarted" else (stack,)


_NAME = re.compile(r"`([A-Z][A-Za-z0-9]+)`")


def _commands(text: str) -> list[list[str]]:
    """Each shell command of the code blocks and `vwr`/`make` inline code, as words."""
    lines: list[str] = []
    for block in _FENCE.findall(text):
        lines += block.replace("\\\n", " ").splitlines()
    lines += _INLINE.findall(text)
    commands = []
    for line in lines:
        try:
            words = shlex.split(line, comments=True)
        except ValueError:  # prose or JSON in a block, not a command
            continue
        command: list[str] = []
        for word in [*words, ";"]:
            if word in _SEPARATORS:
                if command:
                    commands.append(command)
                command = []
            else:
                command.append(word)
    return commands


def _shown(name: str) -> list[tuple[str, list[str]]]:
    """(doc, command words) for every command of `vwr` or `make` in the docs."""
    found = []
    for doc in DOCS:
        for words in _commands(doc.read_text()):
            program = words[0].rsplit("/", 1)[-1]
            if program == name:
                found.append((str(doc.relative_to(REPO_ROOT)), words))
    return found


@cache
def _vwr_flags(command: str) -> frozenset[str]:
    shown = subprocess.run(
        [sys.executable, "-m", "local.cli", command, "--help"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert shown.returncode == 0, f"vwr {command} --help failed: {shown.stderr[-2000:]}"
    return frozenset(re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", shown.stdout))


def _flags(words: list[str]) -> list[str]:
    return [w.split("=", 1)[0] for w in words if w.startswith("-") and w not in {"-", "--"}]


@cache
def _makefile() -> tuple[frozenset[str], str]:
    text = (REPO_ROOT / "Makefile").read_text()
    # Targets may be written with the Makefile's own variables: `$(VENV)/.installed`.
    variables = dict(re.findall(r"^([A-Z_]+) *:?= *(\S+) *$", text, re.M))
    targets = re.findall(r"^([A-Za-z0-9_./$()-]+):(?!=)", text, re.M)
    expanded = {re.sub(r"\$\((\w+)\)", lambda m: variables.get(m[1], m[0]), t) for t in targets}
    return frozenset(expanded), text


def _problems_of_vwr(words: list[str]) -> list[str]:
    if len(words) < 2 or words[1].startswith("-"):
        return []
    flags = _vwr_flags(words[1])
    return [f"`vwr {words[1]} {flag}` is no option" for flag in _flags(words[2:]) if flag not in flags]


def test_every_vwr_flag_the_docs_show_exists() -> None:
    shown = _shown("vwr")
    assert len(shown) > 10, "the docs' vwr commands were not found: has the reader broken?"
    problems = [
        f"{doc}: {problem} ({' '.join(words)})" for doc, words in shown for problem in _problems_of_vwr(words)
    ]
    assert not problems, "\n".join(problems)


def test_every_make_target_and_variable_the_docs_show_exists() -> None:
    targets, makefile = _makefile()
    shown = _shown("make")
    assert len(shown) > 5, "the docs' make commands were not found: has the reader broken?"
    problems = []
    for doc, words in shown:
        for word in words[1:]:
            if "=" in word and not word.startswith("-"):
                variable, value = word.split("=", 1)
                if f"$({variable})" not in makefile:
                    problems.append(f"{doc}: make reads no variable {variable} ({' '.join(words)})")
                elif variable == "ARGS":  # `make run ARGS=...` passes them to `vwr local`
                    problems += [
                        f"{doc}: {p}" for p in _problems_of_vwr(["vwr", "local", *shlex.split(value)])
                    ]
            elif word.startswith("-"):
                continue
            elif word not in targets:
                problems.append(f"{doc}: no Makefile target `{word}` ({' '.join(words)})")
    assert not problems, "\n".join(problems)


def _cells(row: str) -> list[str]:
    """A table row's cells; a `|` inside backticks belongs to its cell."""
    cells, current, in_code = [], "", False
    for char in row.strip().strip("|"):
        if char == "`":
            in_code = not in_code
        if char == "|" and not in_code:
            cells.append(current.strip())
            current = ""
        else:
            current += char
    return [*cells, current.strip()]


def _tables(text: str) -> list[list[list[str]]]:
    tables, current = [], []
    for line in text.splitlines():
        if line.startswith("|"):
            current.append(_cells(line))
        elif current:
            tables.append(current)
            current = []
    return tables + ([current] if current else [])


def _listed_names(kind: str) -> list[tuple[str, tuple[str, ...], str]]:
    """(doc, stack keys, name) for each `Name` in a `kind` column ('parameter' or 'output') of a
    table that also has a stack or template column."""
    listed = []
    for doc in DOCS:
        for table in _tables(doc.read_text()):
            header = [cell.lower() for cell in table[0]]
            where = next((i for i, h in enumerate(header) if h in {"stack", "template"}), None)
            columns = [i for i, h in enumerate(header) if kind in h or h == "ours"]
            if where is None or not columns or not any(kind in h for h in header):
                continue
            for row in table[2:]:
                stacks = _STACKS.get(row[where].lower())
                assert stacks, f"{doc.name}: a {kind} table names no stack known here: {row[where]!r}"
                for column in columns:
                    # A cell's own words in parentheses and its defaults are values, not names.
                    cell = re.sub(r"\([^)]*\)|default `[^`]*`", "", row[column])
                    listed += [(doc.name, stacks, name) for name in _NAME.findall(cell)]
    return listed


@pytest.mark.parametrize("kind", ["Parameters", "Outputs"])
def test_every_parameter_and_output_the_docs_list_is_in_the_templates(synth: Synth, kind: str) -> None:
    listed = _listed_names(kind.lower().removesuffix("s"))
    assert len(listed) > 20, f"the docs' {kind.lower()} tables were not found: has the reader broken?"
    missing = [
        f"{doc}: {name} is no {kind[:-1].lower()} of {', '.join(stacks)}"
        for doc, stacks, name in listed
        if not all(name in synth.template(stack).get(kind, {}) for stack in stacks)
        and not (stacks[0].startswith("gs.") and any(name in synth.template(s).get(kind, {}) for s in stacks))
    ]
    assert not missing, "\n".join(missing)


def _deploy_parameters() -> list[tuple[str, tuple[str, ...], str]]:
    found = []
    for doc in DOCS:
        for words in _commands(doc.read_text()):
            if "deploy" not in words or not words[0].endswith("npx"):
                continue
            targets = [_deployed(w) for w in words[words.index("deploy") + 1 :] if not w.startswith("-")]
            for i, word in enumerate(words):
                if word == "--parameters" and i + 1 < len(words):
                    target, _, name = words[i + 1].split("=", 1)[0].rpartition(":")
                    stacks = _deployed(target) if target else tuple(k for t in targets for k in t)
                    found.append((doc.name, stacks, name))
    return found


def test_every_parameter_a_deploy_command_passes_exists(synth: Synth) -> None:
    passed = _deploy_parameters()
    assert len(passed) > 10, "the docs' deploy commands were not found: has the reader broken?"
    missing = [
        f"{doc}: --parameters {name} reaches none of {', '.join(stacks) or 'the stacks named'}"
        for doc, stacks, name in passed
        if not any(name in synth.template(stack)["Parameters"] for stack in stacks)
    ]
    assert not missing, "\n".join(missing)


def test_every_default_the_parameter_tables_give_is_the_templates(synth: Synth) -> None:
    """In a table with stack, parameter and default columns: `value`, or "empty" for ''."""
    checked, wrong = 0, []
    for doc in DOCS:
        for table in _tables(doc.read_text()):
            header = [cell.lower() for cell in table[0]]
            if not {"stack", "parameter", "default"} <= set(header):
                continue
            where, name_at, default_at = (header.index(h) for h in ("stack", "parameter", "default"))
            for row in table[2:]:
                name = _NAME.fullmatch(row[name_at])
                value = re.fullmatch(r"`([^`]*)`|(empty)|(none)", row[default_at])
                if not name or not value:
                    continue
                for stack in _STACKS[row[where].lower()]:
                    parameter = synth.template(stack)["Parameters"][name[1]]
                    actual = parameter.get("Default")
                    expected = None if value[3] else "" if value[2] else value[1]
                    checked += 1
                    if (None if actual is None else str(actual)) != expected:
                        wrong.append(
                            f"{doc.name}: {name[1]} of {stack} defaults to {actual!r}, not {expected!r}"
                        )
    assert checked > 10, "the docs' parameter tables with defaults were not found"
    assert not wrong, "\n".join(wrong)
