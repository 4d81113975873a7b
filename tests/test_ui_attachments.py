"""Attachments as stored and offered: the message lines, the workspace copies, the turn's tools."""
from __future__ import annotations

from tools import ToolRegistry, Workspace, calculator
from tools.ocr import OCRTool
from tools.speech_to_text import SpeechToTextTool
from ui.attachments import kind_of, save_attachments, split_attachments, tools_for_turn, with_attachments


def test_attachment_lines_round_trip_and_stand_alone():
    stored = with_attachments("  What does it say? ", ["收据.png", "memo.m4a"])
    assert stored == "What does it say?\n\n[attached: 收据.png]\n[attached: memo.m4a]"
    assert split_attachments(stored) == ("What does it say?", ["收据.png", "memo.m4a"])
    assert with_attachments("", ["a.png"]) == "[attached: a.png]"
    assert split_attachments("no files, just [attached: words] in a line") == ("no files, just [attached: words] in a line", [])
    assert [kind_of(n) for n in ("a.PNG", "b.mp3", "c.txt")] == ["image", "audio", None]


def test_saved_attachments_keep_their_names_and_never_overwrite(tmp_path):
    upload = tmp_path / "upload"
    upload.mkdir()
    (upload / "photo.JPG").write_bytes(b"one")
    workspace = Workspace(tmp_path / "conversation")
    assert save_attachments(workspace, [str(upload / "photo.JPG")]) == ["photo.jpg"]
    assert save_attachments(workspace, [str(upload / "photo.JPG")]) == ["photo-2.jpg"]
    assert (workspace.path / "photo-2.jpg").read_bytes() == b"one"


def test_a_turn_offers_the_tool_its_attachments_need():
    registry = ToolRegistry([calculator, OCRTool(), SpeechToTextTool()])
    assert tools_for_turn(None, [], registry) is None
    assert tools_for_turn(None, ["a.png"], registry) == ["calculator", "ocr"]
    assert tools_for_turn(["calculator"], ["a.png", "b.wav"], registry) == ["calculator", "ocr", "speech_to_text"]
    assert tools_for_turn(["ocr"], ["a.png"], registry) == ["ocr"]
    assert tools_for_turn([], ["notes.txt"], registry) == []
    assert tools_for_turn(None, ["a.png"], ToolRegistry([calculator])) is None  # no ocr registered
