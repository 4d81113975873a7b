"""The ``ocr`` tool: the text in an image from the conversation's workspace, line by line.

RapidOCR (``rapidocr==3.10.0``) with the PP-OCRv6 detection and recognition models that ship in
its wheel (Apache-2.0; Chinese and English), run by onnxruntime on the CPU. Installed with the
``media`` extra; nothing is downloaded. Each line comes back with its confidence and its box
(pixel coordinates, top-left origin), as quoted external content: the text of an image is data,
never instructions.

    OCRTool()(image="receipt.png")   # in the workspace of the running conversation
"""

from __future__ import annotations

import functools
import logging
from typing import Annotated, Any

from pydantic import Field

from tools.base import ExternalContent, Tool
from tools.errors import ToolExecutionError
from tools.workspace import current_workspace

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")
MAX_IMAGE_BYTES = 20 * 2**20
MAX_IMAGE_PIXELS = 40_000_000
"""Larger images are refused before decoding (a decompression bomb fits in a small file)."""


@functools.lru_cache(maxsize=1)
def load_ocr() -> Any:
    """RapidOCR's engine with its bundled models, once per process (about 1 s)."""
    try:
        from rapidocr import RapidOCR
    except ImportError:
        raise ToolExecutionError("OCR is not installed: pip install 'lingxi[media]'") from None
    return RapidOCR(params={"Global.log_level": "warning"})


class OCRTool(Tool):
    """Optical character recognition on the conversation's images."""

    name = "ocr"
    timeout = 60.0
    offered_by_default = False  # offered when a turn names it (a file to read or speech to write)

    def setup(self) -> None:
        load_ocr()

    def forward(self, image: Annotated[str, Field(max_length=255)]) -> ExternalContent:
        """Read the text in an image the user shared (a photo, a scan, a screenshot): every line,
        with its confidence and position.

        Args:
            image: The image's file name in this conversation, e.g. "receipt.png".
        """
        path = current_workspace().resolve(image, suffixes=IMAGE_SUFFIXES, max_bytes=MAX_IMAGE_BYTES, kind="an image")
        pixels = _decode(path)
        found = load_ocr()(pixels)
        lines = list(zip(found.txts or (), found.scores or (), found.boxes.tolist() if found.boxes is not None else ()))
        logger.info("ocr %s: %d lines", path.name, len(lines))
        return format_ocr_lines(path.name, lines)


def format_ocr_lines(name: str, lines: list[tuple[str, float, list[list[float]]]]) -> ExternalContent:
    """What the tool returns for the lines read in image `name`: (text, confidence, box corners).

    Pure, so that the tool-use scenarios (tools/scenarios) render their canned OCR results with the
    very code the tool uses, and a model learns and is scored on the observation it will see.
    """
    if not lines:
        return ExternalContent(source=f"text read from {name}", text="(no text found in the image)")
    rendered = [f"{number}. {text}  (confidence {score:.2f}; box x {_span(box, 0)}, y {_span(box, 1)})"
                for number, (text, score, box) in enumerate(lines, start=1)]
    return ExternalContent(source=f"text read from {name} ({len(lines)} lines)", text="\n".join(rendered))


def _decode(path) -> Any:
    """The image, decoded to RGB; a corrupt, truncated or oversized image is a clear error."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as probe:
            width, height = probe.size
            if width * height > MAX_IMAGE_PIXELS:
                raise ToolExecutionError(f"{path.name} is {width}x{height} pixels; the limit is "
                                         f"{MAX_IMAGE_PIXELS // 1_000_000} million pixels")
            probe.verify()
        with Image.open(path) as picture:
            return picture.convert("RGB")
    except ToolExecutionError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise ToolExecutionError(f"cannot read {path.name} as an image: {exc}") from None


def _span(box: list[list[float]], axis: int) -> str:
    values = [point[axis] for point in box]
    return f"{round(min(values))}-{round(max(values))}"
