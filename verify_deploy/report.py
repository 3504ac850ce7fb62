"""How `vwr verify-deploy` shows its result: a table for people (colours on a terminal, a progress
line while a check waits) or one JSON document for CI."""

from __future__ import annotations

import json
from typing import IO, Any

from verify_deploy.checks import REMINDERS
from verify_deploy.run import Line

MARKS = {"pass": "PASS", "fail": "FAIL", "skip": "skip"}
COLOURS = {"pass": "\033[32m", "fail": "\033[31;1m", "skip": "\033[33m"}
RESET = "\033[0m"
TITLE_WIDTH = 36


class Table:
    """Prints each line as its check ends, so a slow check shows where it is."""

    def __init__(self, out: IO[str], *, colour: bool) -> None:
        self._out = out
        self._colour = colour
        self._progress_shown = False

    def progress(self, text: str) -> None:
        if not self._colour:
            return  # a log file gets the lines only, not a carriage-return animation
        self._out.write(f"\r\033[K  ... {text}")
        self._out.flush()
        self._progress_shown = True

    def line(self, line: Line) -> None:
        if self._progress_shown:
            self._out.write("\r\033[K")
            self._progress_shown = False
        status = line.result.status
        mark = MARKS[status]
        if self._colour:
            mark = f"{COLOURS[status]}{mark}{RESET}"
        self._out.write(f"{mark}  {line.check.title:<{TITLE_WIDTH}} {line.result.detail}\n")
        if line.result.advice:
            self._out.write(f"{'':6}{'':<{TITLE_WIDTH}} -> {line.result.advice}\n")
        self._out.flush()

    def summary(self, lines: list[Line]) -> None:
        counts = {status: sum(1 for line in lines if line.result.status == status) for status in MARKS}
        self._out.write(
            f"\n{counts['pass']} passed, {counts['fail']} failed, {counts['skip']} skipped "
            "(a skipped check names the part it lacks)\n"
        )
        self._out.write("Not checked from outside (DEPLOY.md pre-flight):\n")
        for reminder in REMINDERS:
            self._out.write(f"  - {reminder}\n")
        self._out.flush()


def as_json(lines: list[Line]) -> dict[str, Any]:
    return {
        "ok": all(line.result.status != "fail" for line in lines),
        "checks": [
            {
                "id": line.check.id,
                "title": line.check.title,
                "status": line.result.status,
                "detail": line.result.detail,
                "advice": line.result.advice,
            }
            for line in lines
        ],
        "reminders": list(REMINDERS),
    }


def write_json(out: IO[str], lines: list[Line]) -> None:
    out.write(json.dumps(as_json(lines), indent=2) + "\n")
