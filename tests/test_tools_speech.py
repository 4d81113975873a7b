"""`text_to_speech` and `speech_to_text` for real (Piper's English voice, Whisper base from its two
part packages), in a conversation's workspace: a round trip, and the limits refused clearly."""

from __future__ import annotations

import re
import wave

import pytest

from tools import ToolRegistry
from tools.speech_to_text import MAX_AUDIO_BYTES, SpeechToTextTool
from tools.text_to_speech import TextToSpeechTool
from tools.workspace import Workspace, use_workspace

pytest.importorskip("faster_whisper", reason="the media extra (pip install 'lingxi[media]')")
pytest.importorskip("piper", reason="the media extra (pip install 'lingxi[media]')")


@pytest.fixture()
def conversation(tmp_path):
    workspace = Workspace(tmp_path / "conversation-7")
    with use_workspace(workspace):
        yield ToolRegistry([TextToSpeechTool(), SpeechToTextTool()]), workspace


def test_speech_round_trip_through_the_workspace(conversation):
    tools, workspace = conversation
    spoken = tools.call("text_to_speech", {"text": "The meeting is moved to Thursday at three pm."})
    assert spoken.ok, spoken.content
    name = re.match(r"Wrote (speech\.wav) \((\d+\.\d) s of speech", spoken.content)
    assert name and 1.5 <= float(name[2]) <= 6, spoken.content
    with wave.open(str(workspace.path / name[1])) as audio:
        assert audio.getframerate() == 22050 and audio.getnchannels() == 1

    heard = tools.call("speech_to_text", {"audio": name[1]})
    assert heard.ok, heard.content
    assert re.search(r"speech in speech\.wav \(\d+\.\d s, language en, probability (0\.9\d|1\.00)\)", heard.content)
    words = re.sub(r"[^a-z0-9 ]", " ", heard.content.lower()).split()
    assert {"meeting", "thursday"} <= set(words) and ("3" in words or "three" in words or "3pm" in words)

    again = tools.call("text_to_speech", {"text": "Second file."})
    assert "Wrote speech-2.wav" in again.content  # never overwrites the first


def test_chinese_text_is_refused_until_a_chinese_voice_exists(conversation):
    tools, workspace = conversation
    result = tools.call("text_to_speech", {"text": "会议改到星期四下午三点。"})
    assert not result.ok and "only an English voice is installed" in result.content
    assert workspace.files() == []


def test_audio_limits_are_refused_with_a_clear_message(conversation):
    tools, workspace = conversation
    workspace.path.mkdir(parents=True)
    with wave.open(str(workspace.path / "two-hours.wav"), "wb") as audio:  # a real 2-hour file: 1 kHz, 8 bit, 7 MB
        audio.setnchannels(1)
        audio.setsampwidth(1)
        audio.setframerate(1000)
        audio.writeframes(b"\x80" * (2 * 3600 * 1000))
    with open(workspace.path / "huge.mp3", "wb") as handle:  # a sparse 200 MB file
        handle.truncate(200 * 2**20)
    (workspace.path / "corrupt.mp3").write_bytes(b"ID3 this is not audio at all" * 10)
    (workspace.path / "photo.png").write_bytes(b"\x89PNG")

    def error(audio):
        result = tools.call("speech_to_text", {"audio": audio})
        assert not result.ok
        return result.content

    assert "two-hours.wav is 120 minutes long; the limit is 30 minutes" in error("two-hours.wav")
    assert f"huge.mp3 is 200.0 MB; the limit for audio is {MAX_AUDIO_BYTES // 2**20} MB" in error("huge.mp3")
    assert "cannot read corrupt.mp3 as audio" in error("corrupt.mp3")
    assert "photo.png is not audio" in error("photo.png")
    assert "no file named 'memo.m4a'" in error("memo.m4a")
    too_long = tools.call("text_to_speech", {"text": "x" * 2001})
    assert not too_long.ok and "2000" in too_long.content
