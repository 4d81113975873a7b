"""The `ocr` tool for real: RapidOCR's bundled PP-OCRv6 models on images the test draws with PIL,
in a conversation's workspace; the limits (size, pixels, corrupt files, paths) refused clearly."""

from __future__ import annotations

import glob
import re
import threading

import pytest
from PIL import Image, ImageDraw, ImageFont

from tools import ToolRegistry
from tools.ocr import MAX_IMAGE_BYTES, OCRTool
from tools.workspace import Workspace, current_workspace, use_workspace

pytest.importorskip("rapidocr", reason="the media extra (pip install 'lingxi[media]')")

LINES = ["Invoice 2026-117: total 342.50 EUR", "Due by 14 March"]


def draw_lines(path, lines, size=(640, 170)):
    fonts = sorted(glob.glob("/usr/share/fonts/**/LiberationSans-Regular.ttf", recursive=True))
    font = ImageFont.truetype(fonts[0], 32) if fonts else ImageFont.load_default(size=32)
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((20, 20 + 70 * number), line, fill="black", font=font)
    image.save(path)


@pytest.fixture()
def registry(tmp_path):
    workspace = Workspace(tmp_path / "conversation-1")
    workspace.path.mkdir()
    with use_workspace(workspace):
        yield ToolRegistry([OCRTool()]), workspace


def test_ocr_reads_a_drawn_image_back_exactly_with_boxes_and_confidence(registry):
    tools, workspace = registry
    draw_lines(workspace.path / "invoice.png", LINES)
    result = tools.call("ocr", {"image": "invoice.png"})
    assert result.ok, result.content
    assert "text read from invoice.png (2 lines)" in result.content
    for number, line in enumerate(LINES, start=1):  # exactly the drawn text, confidently, where it was drawn
        found = re.search(rf"^{number}\. {re.escape(line)}  \(confidence (0\.9\d|1\.00); box x (\d+)-\d+, y (\d+)-\d+\)$",
                          result.content, re.MULTILINE)
        assert found, result.content
        assert abs(int(found[2]) - 20) <= 10 and abs(int(found[3]) - (20 + 70 * (number - 1))) <= 10


def test_an_image_without_text_says_so(registry):
    tools, workspace = registry
    Image.new("RGB", (200, 100), "white").save(workspace.path / "blank.png")
    result = tools.call("ocr", {"image": "blank.png"})
    assert result.ok and "no text found" in result.content


def test_limits_and_bad_references_are_refused_with_a_clear_message(registry):
    tools, workspace = registry
    (workspace.path / "huge.png").write_bytes(b"\0")
    with open(workspace.path / "huge.png", "r+b") as handle:  # a sparse 200 MB file
        handle.truncate(200 * 2**20)
    (workspace.path / "corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    (workspace.path / "notes.txt").write_text("hello")
    Image.new("1", (8000, 6000)).save(workspace.path / "giant.png")  # 48 MP in a small file

    def error(image):
        result = tools.call("ocr", {"image": image})
        assert not result.ok
        return result.content

    assert f"huge.png is 200.0 MB; the limit for an image is {MAX_IMAGE_BYTES // 2**20} MB" in error("huge.png")
    assert "cannot read corrupt.jpg as an image" in error("corrupt.jpg")
    assert "notes.txt is not an image" in error("notes.txt")
    assert "giant.png is 8000x6000 pixels; the limit is 40 million pixels" in error("giant.png")
    missing = error("receipt.png")
    assert "no file named 'receipt.png'" in missing and "corrupt.jpg, giant.png, huge.png, notes.txt" in missing
    assert "is not a file name in this conversation's workspace" in error("../../etc/passwd")
    assert "is not a file name" in error("/etc/hostname")


def test_the_workspace_follows_the_conversation_into_the_tool_thread(tmp_path):
    seen = {}

    def tool_side():
        seen["workspace"] = current_workspace()

    first, second = Workspace(tmp_path / "a"), Workspace(tmp_path / "b")
    with use_workspace(first):
        from tools.base import FunctionTool

        def where() -> str:
            """Report the workspace."""
            tool_side()
            return "ok"

        ToolRegistry([FunctionTool(where)]).call("where", {})
        assert seen["workspace"] is first
        thread = threading.Thread(target=lambda: seen.update(other=current_workspace()))
        thread.start()
        thread.join()
    assert seen["other"] is not first  # a plain new thread does not inherit it: only tool calls do
    with use_workspace(second):
        assert current_workspace() is second
    assert current_workspace().path.name == "workspace"  # the shared default under $LINGXI_HOME


def test_new_files_never_overwrite(tmp_path):
    workspace = Workspace(tmp_path / "w")
    first = workspace.new_file("speech: hello/world", ".wav")
    second = workspace.new_file("speech: hello/world", ".wav")
    assert first.name == "speech-hello-world.wav" and second.name == "speech-hello-world-2.wav"
    assert workspace.files() == ["speech-hello-world-2.wav", "speech-hello-world.wav"]
