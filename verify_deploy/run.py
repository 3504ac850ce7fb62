"""Runs the checks in order and removes what they created, even when a check fails or on Ctrl-C."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from verify_deploy.checks import CHECKS, ERRORS, Check
from verify_deploy.context import Context, Result, failed, skipped


@dataclass(frozen=True)
class Line:
    check: Check
    result: Result


def run_check(check: Check, ctx: Context, done: dict[str, Result]) -> Result:
    missing = [need for need in check.needs if done.get(need) is None or done[need].status != "pass"]
    if missing:
        return skipped(f"needs {', '.join(missing)}")
    try:
        return check.run(ctx)
    except ERRORS as error:
        # An AWS refusal or a network fault is this check's failure, not the command's.
        return failed(f"{type(error).__name__}: {str(error)[:200]}", _error_advice(error))


def _error_advice(error: Exception) -> str:
    code = (
        getattr(error, "response", {}).get("Error", {}).get("Code", "") if hasattr(error, "response") else ""
    )
    if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
        return "your credentials lack a permission `vwr verify-deploy --help` lists"
    return "the address or service did not answer as expected; run again, then read the detail"


def clean_up(ctx: Context) -> Result:
    """Removes, newest first, everything the checks created; says what could not be removed."""
    left = []
    while ctx.cleanup:
        removal = ctx.cleanup.pop()
        try:
            removal.remove()
        except Exception as error:
            left.append(f"{removal.what} ({type(error).__name__})")
    if left:
        return failed("could not " + "; ".join(left), "remove what is named by hand; it is the command's own")
    return Result("pass", "everything the checks created is removed")


CLEANUP = Check("cleanup", "nothing left behind", lambda ctx: clean_up(ctx))


def run(
    ctx: Context,
    *,
    keep: bool = False,
    on_line: Callable[[Line], None] = lambda _line: None,
    checks: Sequence[Check] = CHECKS,
) -> list[Line]:
    """Every check, then the clean-up line; a Ctrl-C stops the checks but not the clean-up."""
    done: dict[str, Result] = {}
    lines: list[Line] = []
    interrupted = False
    try:
        for check in checks:
            result = run_check(check, ctx, done)
            done[check.id] = result
            lines.append(Line(check, result))
            on_line(lines[-1])
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if keep and ctx.throwaway_event:
            # The event stays for inspection; the temporary rule and queue still go.
            ctx.cleanup = [removal for removal in ctx.cleanup if not removal.is_event]
        result = clean_up(ctx)
        if keep and ctx.throwaway_event:
            result = Result(result.status, f"{result.detail}; --keep: the event {ctx.throwaway_event} stays")
        lines.append(Line(CLEANUP, result))
        on_line(lines[-1])
    if interrupted:
        raise KeyboardInterrupt
    return lines
