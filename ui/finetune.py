"""The Fine-tune tab: liked conversations and uploaded files → a recipe → a background training
job with live progress and a loss chart.

The job is training/jobs.py's: a `lingxi train` process of its own, so it keeps running when the
tab closes or the app restarts, and the tab finds it again. One job at a time.
"""
from __future__ import annotations

import logging
import math
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr
import pandas as pd
from pydantic import ValidationError

from training.check import check_file
from training.config import TrainConfig
from training.errors import TrainingError
from training.jobs import TrainingJob, TrainingJobs
from ui import models
from ui.i18n import t
from ui.services import Services

if TYPE_CHECKING:
    from ui.layout import Components

logger = logging.getLogger(__name__)

METHODS = ["lora", "qlora", "full"]
_PREVIEW = 3
_PROBLEMS_SHOWN = 8
_STATUS_ICON = {"running": "🟡", "finished": "🟢", "failed": "🔴", "stopped": "⚪"}


def liked_preview(services: Services, language: str) -> str:
    """How many liked conversations there are, and the first question of a few of them."""
    liked = services.store.liked()
    if not liked:
        return t(language, "ft_no_liked")
    lines = [t(language, "ft_liked_count", count=len(liked))]
    for session_id, _ in liked[:_PREVIEW]:
        first = next((m for m in services.store.messages(session_id) if m["role"] == "user"), None)
        text = str(first["content"] if first else "").replace("\n", " ")
        lines.append(f"- {text[:80]}{'…' if len(text) > 80 else ''}")
    return "\n".join(lines)


def check_upload(path: str | None, language: str) -> tuple[bool, str]:
    """Read an uploaded data file as `lingxi data check` does: (usable, what it found)."""
    if not path:
        return False, ""
    try:
        report = check_file(path)
    except (TrainingError, OSError, UnicodeDecodeError) as error:
        return False, t(language, "ft_upload_unreadable", error=error)
    errors = report.errors
    summary = t(language, "ft_upload_summary", name=Path(path).name, format=report.format, examples=report.examples,
                records=report.records, calls=report.tool_calls)
    if not errors:
        return report.examples > 0, summary
    shown = "\n".join(f"- {_where(problem.location, language)}{problem.message}" for problem in errors[:_PROBLEMS_SHOWN])
    more = t(language, "ft_more_problems", count=len(errors) - _PROBLEMS_SHOWN) if len(errors) > _PROBLEMS_SHOWN else ""
    return False, f"{summary}\n\n{t(language, 'ft_upload_problems', count=len(errors))}\n{shown}\n{more}".rstrip()


def _where(location: str | None, language: str) -> str:
    """``/tmp/.../mine.jsonl:2`` -> ``line 2: `` (the file's name is already in the summary)."""
    line = (location or "").rpartition(":")[2]
    return t(language, "ft_line", line=line) if line.isdigit() else (f"{location}: " if location else "")


def gather_data(services: Services, folder: Path, use_liked: bool, upload: str | None) -> list[str]:
    """The data files of a run, copied into its folder (the run keeps what it trained on)."""
    data_dir = folder / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    files = []
    if use_liked:
        liked = data_dir / "liked.jsonl"
        if services.store.export_liked_jsonl(liked, services.registry.schemas(None)) > 0:
            files.append(str(liked))
    if upload:
        copy = data_dir / Path(upload).name
        shutil.copyfile(upload, copy)
        files.append(str(copy))
    return files


def recipe(name: str, method: str, epochs: float, max_length: int, lr: float, lora_r: int, max_steps: int | None,
           tool_use: int, data: list[str], runs: Path) -> TrainConfig:
    """The training config the form describes (validated: a bad value raises ValidationError)."""
    return TrainConfig(name=name, model="bundled", method=method, data=data, tool_use=int(tool_use or 0),
                       epochs=float(epochs), max_steps=int(max_steps) if max_steps else None,
                       max_length=int(max_length), lr=float(lr), lora_r=int(lora_r), lora_alpha=2 * int(lora_r),
                       save_steps=10, log_steps=1, output_dir=str(runs / name))


def job_status(job: TrainingJob | None, progress: list[dict[str, Any]], language: str) -> str:
    """One paragraph: the job's state, its step, speed and time left, or why it stopped."""
    if job is None:
        return t(language, "ft_no_job")
    head = f"{_STATUS_ICON.get(job.status, '⚪')} **{job.name}** · {t(language, 'ft_' + job.status)}"
    steps = [record for record in progress if "loss" in record]
    if steps:
        last = steps[-1]
        total = last.get("total") or "?"
        eta = last.get("eta_s")
        eta_text = f"{eta:.0f} s" if isinstance(eta, (int, float)) and math.isfinite(eta) else "?"
        key = "ft_progress" if job.status == "running" else "ft_progress_done"
        head += " · " + t(language, key, step=last["step"], total=total, loss=last["loss"],
                          speed=last.get("tokens_per_s", 0.0), eta=eta_text)
    if job.message:
        head += f"\n\n{job.message}"
    result = job.result()
    if job.status == "finished" and result and result.get("adapter_path"):
        head += "\n\n" + t(language, "ft_adapter", path=result["adapter_path"])
    return head


def loss_frame(progress: list[dict[str, Any]]) -> pd.DataFrame:
    """Loss by step (and eval loss where the trainer measured it), long form for gr.LinePlot."""
    rows = [{"step": record["step"], "loss": record["loss"], "series": "train"}
            for record in progress if "loss" in record]
    rows += [{"step": record["step"], "loss": record["eval_loss"], "series": "eval"}
             for record in progress if record.get("eval_loss") is not None]
    return pd.DataFrame(rows or [{"step": 0, "loss": float("nan"), "series": "train"}])


def default_name() -> str:
    return time.strftime("my-assistant-%Y%m%d-%H%M")


def wire(c: "Components", services: Services) -> None:
    jobs = TrainingJobs(services.home)

    def view(language):
        job = jobs.current()
        progress = jobs.progress(job) if job else []
        running = job is not None and job.status == "running"
        usable = job is not None and job.status == "finished" and bool((job.result() or {}).get("adapter_path"))
        return (job_status(job, progress, language), loss_frame(progress),
                gr.Button(interactive=not running), gr.Button(interactive=running),
                gr.Button(interactive=job is not None and job.status in ("stopped", "failed")),
                gr.Button(visible=usable))

    def refresh_data(language):
        return liked_preview(services, language)

    def uploaded(path, language):
        return check_upload(path, language)[1]

    def start(name, use_liked, upload, tool_use, method, epochs, max_length, lr, lora_r, max_steps, language):
        name = (name or "").strip() or default_name()
        if upload and not check_upload(upload, language)[0]:
            gr.Warning(t(language, "ft_bad_upload"))
            return view(language)
        try:
            folder = services.home / "runs" / name
            data = gather_data(services, folder, use_liked, upload)
            if not data and not tool_use:
                gr.Warning(t(language, "ft_no_data"))
                return view(language)
            jobs.start(recipe(name, method, epochs, max_length, lr, lora_r, max_steps, tool_use, data,
                              services.home / "runs"))
        except ValidationError as error:
            gr.Warning(t(language, "ft_bad_recipe", error=error.errors()[0]["msg"]))
        except (TrainingError, OSError) as error:
            gr.Warning(str(error))
        return view(language)

    def stop(language):
        jobs.stop()
        return view(language)

    def resume(language):
        try:
            jobs.resume()
        except TrainingError as error:
            gr.Warning(str(error))
        return view(language)

    def use_in_chat(language, progress=gr.Progress()):
        """Make the finished run's adapter the chat's model, and go to the chat."""
        job = jobs.current()
        adapter = (job.result() or {}).get("adapter_path") if job else None
        if not adapter:
            gr.Warning(t(language, "ft_nothing_to_use"))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        choice = f"adapter:{adapter}"
        engine_key, status = models.load_choice(services, choice, language, progress)
        if not isinstance(engine_key, str):  # it failed: the status says why
            return gr.skip(), gr.skip(), status, gr.skip()
        return (engine_key, gr.Dropdown(choices=models.choices(services, language), value=choice), status,
                gr.Tabs(selected="page-chat"))

    outputs = [c.ft_status, c.ft_loss, c.ft_start, c.ft_stop, c.ft_resume, c.ft_use]
    form = [c.ft_name, c.ft_use_liked, c.ft_upload, c.ft_tool_use, c.ft_method, c.ft_epochs, c.ft_max_length,
            c.ft_lr, c.ft_lora_r, c.ft_max_steps, c.language]
    c.ft_use.click(use_in_chat, c.language, [c.engine_key, c.model, c.model_status, c.pages], show_progress="full")
    c.ft_start.click(start, form, outputs)
    c.ft_stop.click(stop, c.language, outputs)
    c.ft_resume.click(resume, c.language, outputs)
    c.ft_upload.change(uploaded, [c.ft_upload, c.language], c.ft_upload_report)
    c.ft_refresh.click(refresh_data, c.language, c.ft_liked)
    c.ft_timer.tick(view, c.language, outputs, show_progress="hidden")
    c.demo.load(view, c.language, outputs)
    c.demo.load(refresh_data, c.language, c.ft_liked)
