"""The media tools through the registry, as the agent calls them: OCR, text-to-speech, speech-to-text.

Draws a two-line invoice image (PIL), reads it with `ocr`, speaks a sentence with `text_to_speech`,
transcribes that audio with `speech_to_text`, each first call (which loads the model) and then
`--repeats` warm calls, in a temporary workspace. Prints seconds per call, whether OCR read the
lines exactly, the transcript, and the real-time factors (seconds of work per second of audio;
the baseline is the audio's own length, so below 1.0 is faster than real time).

    .venv/bin/python bench/media.py [--repeats 3]
"""
from __future__ import annotations

import argparse
import glob
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tools import ToolRegistry, Workspace, use_workspace  # noqa: E402
from tools.ocr import OCRTool  # noqa: E402
from tools.speech_to_text import SpeechToTextTool  # noqa: E402
from tools.text_to_speech import TextToSpeechTool  # noqa: E402

LINES = ["Invoice 2026-117: total 342.50 EUR", "Due by 14 March"]
SENTENCE = "The meeting is moved to Thursday at three pm."


def draw_invoice(path: Path) -> None:
    from PIL import Image, ImageDraw, ImageFont

    fonts = glob.glob("/usr/share/fonts/**/LiberationSans-Regular.ttf", recursive=True)
    font = ImageFont.truetype(fonts[0], 32) if fonts else ImageFont.load_default(size=32)
    image = Image.new("RGB", (640, 170), "white")
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(LINES):
        draw.text((20, 20 + 70 * number), line, fill="black", font=font)
    image.save(path)


def timed(registry: ToolRegistry, name: str, arguments: dict, repeats: int) -> tuple[float, list[float], str]:
    """(first call seconds, warm call seconds, last content)."""
    seconds = []
    for _ in range(repeats + 1):
        started = time.perf_counter()
        result = registry.call(name, arguments)
        seconds.append(time.perf_counter() - started)
        if not result.ok:
            raise SystemExit(f"{name} failed: {result.content}")
    return seconds[0], seconds[1:], result.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3, help="warm calls after the first")
    args = parser.parse_args()
    registry = ToolRegistry([OCRTool(), TextToSpeechTool(), SpeechToTextTool()])
    with tempfile.TemporaryDirectory() as folder, use_workspace(Workspace(Path(folder))) as workspace:
        draw_invoice(workspace.path / "invoice.png")
        first, warm, content = timed(registry, "ocr", {"image": "invoice.png"}, args.repeats)
        exact = all(f". {line}  (confidence" in content for line in LINES)
        print(f"ocr 640x170, 2 lines: first {first:.2f} s, warm median {statistics.median(warm):.2f} s, "
              f"lines read exactly: {exact}")
        first, warm, content = timed(registry, "text_to_speech", {"text": SENTENCE}, args.repeats)
        audio_seconds = float(re.search(r"\((\d+\.\d) s of speech", content)[1])
        print(f"text_to_speech ({audio_seconds:.1f} s of audio): first {first:.2f} s, warm median "
              f"{statistics.median(warm):.2f} s, real-time factor {statistics.median(warm) / audio_seconds:.3f}")
        first, warm, content = timed(registry, "speech_to_text", {"audio": "speech.wav"}, args.repeats)
        transcript = content.splitlines()[1] if "\n" in content else content
        print(f"speech_to_text ({audio_seconds:.1f} s of audio): first {first:.2f} s, warm median "
              f"{statistics.median(warm):.2f} s, real-time factor {statistics.median(warm) / audio_seconds:.3f}")
        print(f"transcript: {transcript!r}")


if __name__ == "__main__":
    main()
