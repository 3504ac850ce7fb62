"""The sites' files as uploaded: the control panel's stylesheet link (css/common.css) is staged as
the file it names, so both sites serve the waiting room's one copy (tests/browser/test_shared_css.py
checks the same of `vwr local`)."""

from __future__ import annotations

from pathlib import Path

from tests.infrastructure.conftest import Synth

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "waiting_room_site" / "css" / "common.css"


def test_the_control_panel_is_uploaded_with_the_shared_stylesheet(synth: Synth) -> None:
    assert (ROOT / "control_panel" / "css" / "common.css").is_symlink()
    staged = [panel.parent for panel in synth.outdir.rglob("asset.*/css/panel.css")]
    assert staged, "no staged control panel asset"
    for css in staged:
        assert not (css / "common.css").is_symlink()
        assert (css / "common.css").read_bytes() == SHARED.read_bytes()
