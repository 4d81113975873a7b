"""The Fine-tune tab: liked conversations and uploaded files → a recipe → a background training
job with live progress and a loss chart.

The job is training/jobs.py's: a `lingxi train` process of its own, so it keeps running when the
tab closes or the app restarts, and the tab finds it again. One job at a time.
"""
from __future__ import annotations

import logging
import math
import re
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
from training.estimate import duration_text
from training.jobs import TrainingJob, TrainingJobs
from model.spec import set_user_default_adapter
from ui import models
from ui.i18n import t
from ui.services import Services

if TYPE_CHECKING:
    from ui.layout import Components

logger = logging.getLogger(__name__)

METHODS = ["lora", "qlora", "full"]
METHOD_RECIPES = {"lora": "lora_toolcall", "qlora": "qlora_toolcall", "full": "full_sft"}
"""The shipped recipe whose learning rate, rank and max length a method starts from."""
BASE_MODELS = ["bundled"]
"""Offered as the base; any other spec `lingxi train` takes (a .gguf, a Hugging Face folder or id) can be typed."""
EVAL_BENCHES = ["lingxi_tools_val", "lingxi_tools_media_val", "lingxi_tools_legacy", "bfcl_simple", "bfcl_irrelevance",
                "mmlu", "ceval"]
"""What the page offers to evaluate on; the tool-use validation splits first (choices are made there:
the test split only reports, in cards)."""
_FAILURES_SHOWN = 50
_PREVIEW = 3
_PROBLEMS_SHOWN = 8
_STATUS_ICON = {"running": "🟡", "finished": "🟢", "failed": "🔴", "stopped": "⚪"}
_STATE_WORDS = {("evaluate", "running"): "ft_evaluating", ("estimate", "running"): "ft_estimating",
                ("estimate", "finished"): "ft_estimated", ("export", "running"): "ft_exporting",
                ("export", "finished"): "ft_exported"}


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


def method_defaults(method: str) -> dict[str, Any]:
    """The learning rate, LoRA rank and max length of the method's shipped recipe."""
    from training.config import load_config

    shipped = load_config(METHOD_RECIPES[method])
    return {"lr": shipped.lr, "lora_r": shipped.lora_r, "max_length": shipped.max_length}


def recipe(name: str, method: str, epochs: float, max_length: int, lr: float, lora_r: int, max_steps: int | None,
           tool_use: int, data: list[str], runs: Path, model: str = "bundled", clean: bool = False) -> TrainConfig:
    """The training config the form describes (validated: a bad value raises ValidationError)."""
    return TrainConfig(name=name, model=(model or "bundled").strip(), method=method, data=data,
                       tool_use=int(tool_use or 0), clean_data=bool(clean),
                       epochs=float(epochs), max_steps=int(max_steps) if max_steps else None,
                       max_length=int(max_length), lr=float(lr), lora_r=int(lora_r), lora_alpha=2 * int(lora_r),
                       save_steps=10, log_steps=1, output_dir=str(runs / name))


def estimate_text(estimate: dict[str, Any] | None, language: str) -> str:
    """The measured time and memory of the run the form describes, and what left its data."""
    if not estimate:
        return ""
    text = t(language, "ft_estimate_result", time=duration_text(estimate["total_s"]), steps=estimate["total_steps"],
             per_step=estimate["seconds_per_step"], measured=estimate["measured_steps"], load=estimate["load_s"],
             memory=_memory_text(estimate, language), examples=estimate["examples"],
             tokens=estimate["tokens"], loss_tokens=estimate["loss_tokens"])
    dropped = estimate.get("dropped") or {}
    if dropped:
        text += "\n\n" + t(language, "ft_dropped", what=", ".join(f"{reason} {count}" for reason, count in dropped.items()))
    return text


def _memory_text(estimate: dict[str, Any], language: str) -> str:
    """GPU: the allocator's peak. CPU: a floor, since resident memory keeps growing over a run
    (bench/train_estimate.py compares the two)."""
    if estimate["memory_kind"] == "GPU":
        return f"{estimate['peak_memory_gb']:.2f} GB GPU"
    return t(language, "ft_ram_floor", gb=estimate["peak_memory_gb"])


def mix_frame(estimate: dict[str, Any] | None, language: str) -> pd.DataFrame:
    """Examples per source and their share of the mix."""
    sources = (estimate or {}).get("sources") or {}
    total = sum(sources.values()) or 1
    return pd.DataFrame([{t(language, "ft_col_source"): name, t(language, "ft_col_examples"): count,
                          t(language, "ft_col_share"): f"{count / total:.0%}"} for name, count in sources.items()])



def job_status(job: TrainingJob | None, progress: list[dict[str, Any]], language: str) -> str:
    """One paragraph: the job's state, its step, speed and time left, or why it stopped."""
    if job is None:
        return t(language, "ft_no_job")
    state = _STATE_WORDS.get((job.kind, job.status), "ft_" + job.status)
    head = f"{_STATUS_ICON.get(job.status, '⚪')} **{job.name}** · {t(language, state)}"
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
    if job.kind == "estimate" and job.status == "finished":
        head += "\n\n" + estimate_text(job.estimate(), language)
    if job.kind != "estimate" and job.status == "finished" and job.adapter():
        head += "\n\n" + t(language, "ft_adapter", path=job.adapter())
    if job.kind == "export" and job.status == "finished":
        head += "\n\n" + export_note(job, language)
    return head


def loss_frame(progress: list[dict[str, Any]]) -> pd.DataFrame:
    """Loss by step (and eval loss where the trainer measured it), long form for gr.LinePlot."""
    rows = [{"step": record["step"], "loss": record["loss"], "series": "train"}
            for record in progress if "loss" in record]
    rows += [{"step": record["step"], "loss": record["eval_loss"], "series": "eval"}
             for record in progress if record.get("eval_loss") is not None]
    return pd.DataFrame(rows or [{"step": 0, "loss": float("nan"), "series": "train"}])


def evaluation_runs(job: TrainingJob) -> list:
    """The runs an evaluate job wrote, base first, then the default, then the run's adapter (those
    that exist)."""
    from eval.runner import load_run, slug

    found = []
    for model in ("base", "default", job.name):
        path = job.eval_dir / f"{slug(job.bench or '')}__{slug(model)}.json"
        if path.is_file():
            found.append(load_run(path))
    return found


def comparison_table(runs: list, language: str) -> pd.DataFrame:
    """Accuracy with its 95% interval, by language where the benchmark marks one, per model."""
    from eval.stats import record_language, wilson_interval

    rows = []
    for run in runs:
        correct = sum(record.correct for record in run.records)
        low, high = wilson_interval(correct, run.n)
        row = {t(language, "ft_col_model"): run.model, t(language, "ft_col_accuracy"): f"{run.accuracy:.1%}",
               t(language, "ft_col_interval"): f"{low:.1%}–{high:.1%}", t(language, "ft_col_items"): run.n}
        for code in ("en", "zh"):
            records = [record for record in run.records if record_language(record) == code]
            if records:
                row[t(language, f"ft_col_{code}")] = f"{sum(r.correct for r in records) / len(records):.1%}"
        rows.append(row)
    return pd.DataFrame(rows)


def paired_line(runs: list, language: str) -> str:
    """The adapter against the base, item by item: wins, losses and the sign test."""
    from eval.stats import paired

    if len(runs) < 2 or runs[0].model != "base":
        return ""
    result = paired(runs[0], runs[-1])
    return t(language, "ft_paired", name=runs[-1].model, items=result["items"], wins=result["tuned_only"],
             losses=result["base_only"], p=result["p_value"])


def category_frame(runs: list) -> pd.DataFrame:
    """Accuracy per category and model, long form for gr.BarPlot."""
    rows = [{"category": name, "accuracy": score.accuracy, "model": run.model}
            for run in runs for name, score in run.per_category().items()]
    return pd.DataFrame(rows or [{"category": "", "accuracy": 0.0, "model": ""}])


def failures(runs: list, language: str) -> pd.DataFrame:
    """The items the run's adapter got wrong, with why."""
    if not runs:
        return pd.DataFrame()
    wrong = [record for record in runs[-1].records if not record.correct][:_FAILURES_SHOWN]
    return pd.DataFrame([{"id": record.id, t(language, "ft_col_category"): record.category,
                          t(language, "ft_col_error"): record.error_type or "",
                          t(language, "ft_col_detail"): (record.error or record.raw_output)[:200]} for record in wrong])


def download_list(job: TrainingJob) -> Any:
    """The run's files to download (GGUF LoRA, zipped peft adapter, gated merged GGUF)."""
    files = [str(path) for path in job.downloads().values()]
    return gr.File(value=files or None, visible=bool(files))


def export_note(job: TrainingJob, language: str) -> str:
    """What the export's accuracy gate decided: the type offered, or why none is."""
    gated = job.gated_export()
    if not gated:
        return ""
    refused = ", ".join(gated.get("refused") or []) or "-"
    if gated.get("type"):
        return t(language, "ft_export_gated", type=gated["type"], size=gated.get("size_mb") or 0,
                 refused=refused, drop=gated.get("max_drop"))
    return t(language, "ft_export_none", refused=refused, drop=gated.get("max_drop"))


def default_name() -> str:
    return time.strftime("my-assistant-%Y%m%d-%H%M")


def wire(c: "Components", services: Services) -> None:
    jobs = TrainingJobs(services.home)

    def view(language, shown=None):
        job = jobs.current()
        progress = jobs.progress(job) if job and job.kind == "train" else []
        running = job is not None and job.status == "running"
        usable = job is not None and job.kind != "estimate" and not running and bool(job.adapter())
        measured = job is not None and job.kind == "estimate" and job.status == "finished"
        head = (job_status(job, progress, language), loss_frame(progress) if job and job.kind == "train" else gr.skip(),
                mix_frame(job.estimate(), language) if measured else gr.skip(),
                gr.Button(interactive=not running), gr.Button(interactive=not running), gr.Button(interactive=running),
                gr.Button(interactive=job is not None and job.kind == "train" and job.status in ("stopped", "failed")),
                gr.Button(visible=usable), gr.Checkbox(visible=usable), gr.Button(visible=usable),
                download_list(job) if usable else gr.File(value=None, visible=False),
                gr.Button(interactive=usable))
        return head + evaluation_view(job, language, shown)

    def evaluation_view(job, language, shown):
        """The comparison, redrawn only when the evaluate job it shows changes (not every tick)."""
        key = [job.kind, job.started, job.status, language] if job else None
        if key == shown:
            return gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        if job is None or job.kind != "evaluate" or job.status != "finished":
            empty = pd.DataFrame()
            return key, empty, "", category_frame([]), empty
        runs = evaluation_runs(job)
        return (key, comparison_table(runs, language), paired_line(runs, language), category_frame(runs),
                failures(runs, language))

    def evaluate(bench, limit, language, shown):
        try:
            jobs.evaluate(bench, int(limit) if limit else None)
        except TrainingError as error:
            gr.Warning(str(error))
        return view(language, shown)

    def refresh_data(language):
        return liked_preview(services, language)

    def uploaded(path, language):
        return check_upload(path, language)[1]

    def form_config(name, use_liked, upload, clean, tool_use, base, method, epochs, max_length, lr, lora_r,
                    max_steps, language) -> TrainConfig | None:
        """The run the form describes, its data gathered into the run folder; None (with a
        warning that says why) when the form cannot make one."""
        name = (name or "").strip() or default_name()
        if not re.fullmatch(r"\w[\w.-]{0,79}", name):  # it becomes a folder under runs/
            gr.Warning(t(language, "ft_bad_name"))
            return None
        if upload and not check_upload(upload, language)[0]:
            gr.Warning(t(language, "ft_bad_upload"))
            return None
        try:
            data = gather_data(services, services.home / "runs" / name, use_liked, upload)
            if not data and not tool_use:
                gr.Warning(t(language, "ft_no_data"))
                return None
            return recipe(name, method, epochs, max_length, lr, lora_r, max_steps, tool_use, data,
                          services.home / "runs", base, clean)
        except ValidationError as error:
            gr.Warning(t(language, "ft_bad_recipe", error=error.errors()[0]["msg"]))
        except OSError as error:
            gr.Warning(str(error))
        return None

    def launch(what, *form):
        """Start the training job (what='start') or the estimate job (what='estimate') of the form."""
        language = form[-1]
        config = form_config(*form)
        if config is not None:
            try:
                jobs.start(config) if what == "start" else jobs.estimate(config)
            except TrainingError as error:
                gr.Warning(str(error))
        return view(language)

    def start(*form):
        return launch("start", *form)

    def estimate(*form):
        return launch("estimate", *form)

    def method_changed(method):
        defaults = method_defaults(method)
        return (gr.Number(value=defaults["lr"]), gr.Number(value=defaults["lora_r"], visible=method != "full"),
                gr.Number(value=defaults["max_length"]))

    def stop(language):
        jobs.stop()
        return view(language)

    def resume(language):
        try:
            jobs.resume()
        except TrainingError as error:
            gr.Warning(str(error))
        return view(language)

    def use_in_chat(also_api, language, progress=gr.Progress()):
        """Make the finished run's adapter the chat's model (and, if asked, the default of this
        app's API and of later starts), and go to the chat."""
        job = jobs.current()
        adapter = job.adapter() if job else None
        if not adapter:
            gr.Warning(t(language, "ft_nothing_to_use"))
            return gr.skip(), gr.skip(), gr.skip(), gr.skip()
        choice = f"adapter:{adapter}"
        engine_key, status = models.load_choice(services, choice, language, progress)
        if not isinstance(engine_key, str):  # it failed: the status says why
            return gr.skip(), gr.skip(), status, gr.skip()
        if also_api:
            status += "\n\n" + make_default(engine_key, adapter, language)
        return (engine_key, gr.Dropdown(choices=models.choices(services, language), value=choice), status,
                gr.Tabs(selected="page-chat"))

    def make_default(engine_key: str, adapter: str, language: str) -> str:
        set_user_default_adapter(adapter)
        engine = services.engines.make_default(engine_key)
        if services.serve_on_api is None:
            return t(language, "ft_default_later", name=engine.name)
        services.serve_on_api(engine)
        return t(language, "ft_default_now", name=engine.name)

    def export(bench, limit, language):
        """Package the run for download; the accuracy gate uses the evaluation's benchmark and items."""
        try:
            jobs.export(bench, int(limit) if limit else None)
        except TrainingError as error:
            gr.Warning(str(error))
        return view(language)

    outputs = [c.ft_status, c.ft_loss, c.ft_mix, c.ft_start, c.ft_estimate, c.ft_stop, c.ft_resume, c.ft_use,
               c.ft_api_default, c.ft_export, c.ft_downloads, c.ft_evaluate, c.ft_shown, c.ft_eval_table, c.ft_eval_paired, c.ft_eval_chart, c.ft_failures]
    form = [c.ft_name, c.ft_use_liked, c.ft_upload, c.ft_clean, c.ft_tool_use, c.ft_base, c.ft_method, c.ft_epochs,
            c.ft_max_length, c.ft_lr, c.ft_lora_r, c.ft_max_steps, c.language]
    c.ft_use.click(use_in_chat, [c.ft_api_default, c.language], [c.engine_key, c.model, c.model_status, c.pages],
                   show_progress="full")
    c.ft_export.click(export, [c.ft_bench, c.ft_limit, c.language], outputs)
    c.ft_start.click(start, form, outputs)
    c.ft_estimate.click(estimate, form, outputs)
    c.ft_method.change(method_changed, c.ft_method, [c.ft_lr, c.ft_lora_r, c.ft_max_length])
    c.ft_stop.click(stop, c.language, outputs)
    c.ft_resume.click(resume, c.language, outputs)
    c.ft_evaluate.click(evaluate, [c.ft_bench, c.ft_limit, c.language, c.ft_shown], outputs)
    c.ft_upload.change(uploaded, [c.ft_upload, c.language], c.ft_upload_report)
    c.ft_refresh.click(refresh_data, c.language, c.ft_liked)
    c.ft_timer.tick(view, [c.language, c.ft_shown], outputs, show_progress="hidden")
    c.demo.load(view, c.language, outputs)
    c.demo.load(refresh_data, c.language, c.ft_liked)
