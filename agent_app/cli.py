"""The `lingxi` command line, generated from the typed settings (pydantic-settings).

`lingxi serve | chat | kb | eval | data | train | export | quantize | mcp`.
This module is the only place that wires the layers together (shared/DESIGN.md).
"""
from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, CliApp, CliPositionalArg, CliSubCommand, SettingsConfigDict

from agent_app.settings import AgentToolOptions, ModelOptions, ServedModelOptions, ServerOptions, ToolSourceOptions
from model.quantize import QuantizeOptions
from training.clean import CleanConfig
from training.config import PublicSource
from training.export import ExportOptions

logger = logging.getLogger("lingxi")

_SETTINGS = SettingsConfigDict(env_prefix="LINGXI_", cli_kebab_case=True, cli_implicit_flags=True,
                               extra="ignore")


def _load_engine(options: ModelOptions):
    from model.loader import EngineConfig, load_engine

    config = EngineConfig(**options.model_dump(include=set(EngineConfig.model_fields)))
    return load_engine(options.model, options.adapter, config)


def _agent_tools(options: AgentToolOptions):
    """The tools of an agent: built-ins, ``--tools-module``, and the MCP servers of ``--mcp-config``."""
    from tools import lingxi_home
    from tools.sources import agent_tools

    return agent_tools(lingxi_home(), tools_module=options.tools_module, mcp_config=options.mcp_config)


class Serve(ServerOptions, ServedModelOptions, AgentToolOptions, BaseSettings):
    """Serve the OpenAI-compatible API (/v1/chat/completions with tools) on a model."""

    model_config = _SETTINGS

    def cli_cmd(self) -> None:
        import uvicorn

        from agent_app.server.app import create_app

        sources = _agent_tools(self)
        engine = _load_engine(self)
        app = create_app(engine, self, sources.registry)
        print(f"Lingxi serves {engine.name} at http://{self.host}:{self.port}  "
              f"(OpenAI API: http://{self.host}:{self.port}/v1)", flush=True)
        try:
            uvicorn.run(app, host=self.host, port=self.port, log_level="info")
        finally:
            sources.close()


class Chat(ModelOptions, AgentToolOptions, BaseSettings):
    """Chat with a model in the terminal; answers stream as they are written."""

    model_config = _SETTINGS
    system: str | None = Field(None, description="system prompt")
    temperature: float = Field(0.7, ge=0, le=2, description="sampling temperature")
    max_tokens: int = Field(512, ge=1, description="longest answer in tokens")
    agent: bool = Field(False, description="run each turn through the agent loop with tools")
    tools: str | None = Field(None, description="agent tools, comma-separated (default: all)")
    protocol: Literal["native", "react"] = Field("native", description="agent protocol")
    language: Literal["en", "zh"] = Field("en", description="ReAct prompt language")
    max_steps: int = Field(6, ge=1, le=20, description="agent step limit")

    def cli_cmd(self) -> None:
        from agent_app import terminal_chat
        from model.types import SamplingParams

        engine = _load_engine(self)
        sampling = SamplingParams(max_tokens=self.max_tokens, temperature=self.temperature)
        if not self.agent:
            turn, reset = terminal_chat.plain_chat(engine, self.system, sampling)
        else:
            from agent_app.agent import Agent, AgentConfig
            from agent_app.protocols import make_protocol

            names = [name.strip() for name in self.tools.split(",")] if self.tools else None
            sources = _agent_tools(self)
            agent = Agent(engine, sources.registry, make_protocol(self.protocol, self.language),
                          AgentConfig(self.max_steps, self.system, sampling, names))
            turn, reset = terminal_chat.agent_chat(agent)
            try:
                terminal_chat.run_terminal_chat(turn, reset, engine.name)
            finally:
                sources.close()
            return
        terminal_chat.run_terminal_chat(turn, reset, engine.name)


class EvalReport(BaseModel):
    """Put several eval runs side by side: a Markdown table with deltas, PNG charts, failed items."""

    runs: CliPositionalArg[list[str]] = Field(description="run files (JSON) written by `lingxi eval`")
    out: str = Field("eval-report", description="folder for report.md and its charts")

    def cli_cmd(self) -> None:
        from eval import write_report

        print(f"report: {write_report(self.runs, self.out)}")


class EvalCard(BaseModel):
    """Write an adapter's eval card (base vs tuned, the verdict) and decide whether it becomes the default."""

    out: CliPositionalArg[str] = Field(description="the adapter's folder (e.g. model/adapters/lingxi-tools-135m)")
    base: list[str] = Field(description="run files of the base model (lingxi_tools among them)")
    tuned: list[str] = Field(description="run files of the tuned model, same benchmarks")
    name: str = Field("lingxi-tools", description="the adapter's name (--adapter NAME)")
    margin: float = Field(0.0, ge=0, description="points by which it must beat the base on lingxi_tools")
    train_run: str | None = Field(None, description="the training run folder, for the card's training facts")

    def cli_cmd(self) -> None:
        from eval.card import write_adapter_card

        training = _training_facts(self.train_run) if self.train_run else None
        held_out = _held_out_sources(self.train_run) if self.train_run else None
        card = write_adapter_card(self.base, self.tuned, self.out, self.name, self.margin, training,
                                  commands=["make finetune", "make ship-adapter"], held_out=held_out)
        gate = card["gate"]
        print(f"{self.name}: {gate['bench']} base {gate['base']:.1%} -> tuned {gate['tuned']:.1%}; "
              f"default: {'yes' if card['default'] else 'no'} -> {Path(self.out) / 'README.md'}")


class EvalDecision(ModelOptions):
    """Calibrate the call decision on the validation split: threshold, trade-off plot, card entry."""

    split: Literal["val", "train"] = Field("val", description="scenario split to calibrate on (never test)")
    per_kind: int = Field(40, ge=1, description="scenarios per kind")
    out: str = Field(description="folder for decision.json, decision.jsonl and decision.png")
    card: str | None = Field(None, description="an adapter folder whose card.json gets the thresholds "
                                               "(e.g. model/adapters/lingxi-tools-135m)")
    scores: str | None = Field(None, description="choose again from an earlier run's decision.jsonl "
                                                 "(no model is loaded)")
    end_to_end: str | None = Field(None, description="MODEL_RUN.json,CALIBRATED_RUN.json: two `lingxi eval "
                                                     "--bench lingxi_tools_val` runs (--tool-decision model, "
                                                     "and calibrated); the default then also needs to win there")

    def cli_cmd(self) -> None:
        import json

        from agent_app.progress import progress_bar
        from eval.call_decision import (card_entry, choose_thresholds, format_summary, plot_tradeoff, read_scores,
                                        score_scenarios, summarize, validation_scenarios, write_card_entry)

        if self.scores:
            from model.spec import resolve_model

            scored, engine_name = read_scores(Path(self.scores)), resolve_model(self.model, self.adapter).name
        else:
            engine = _load_engine(self.model_copy(update={"tool_decision": "model", "call_threshold": None}))
            scenarios = validation_scenarios(self.split, self.per_kind)
            with progress_bar(f"call decision ({self.split})") as advance:
                scored = score_scenarios(engine, scenarios, progress=lambda done, total: advance(done, total))
            engine_name = engine.name
        thresholds = choose_thresholds(scored)
        summary = summarize(scored, thresholds)
        out = Path(self.out)
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "decision.jsonl", "w", encoding="utf-8") as handle:
            for item in scored:
                handle.write(json.dumps(item.__dict__, ensure_ascii=False) + "\n")
        (out / "decision.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
        plot = plot_tradeoff(scored, thresholds, out / "decision.png")
        print(format_summary(summary))
        comparison = None
        if self.end_to_end:
            from eval.call_decision import end_to_end

            model_run, calibrated_run = self.end_to_end.split(",")
            comparison = end_to_end(Path(model_run), Path(calibrated_run))
            accuracy = comparison["accuracy"]
            print("end to end on " + comparison["bench"] + ": " + ", ".join(
                f"{group} {figures['model']:.1%} -> {figures['calibrated']:.1%}" for group, figures in accuracy.items())
                  + f" (sign test p = {comparison['paired']['p_value']:.3g})")
        entry = card_entry(summary, self.split, engine_name, comparison)
        print(f"calibrated {'wins' if entry['default'] else 'does not win'} on {self.split}; plot: {plot}")
        if self.card:
            import shutil

            from eval.card import write_decision_section

            write_card_entry(Path(self.card) / "card.json", entry)
            shutil.copyfile(plot, Path(self.card) / "call_decision.png")
            write_decision_section(Path(self.card) / "README.md", entry)
            print(f"recorded in {Path(self.card) / 'card.json'} and its README (on by default: {entry['default']})")


def _held_out_sources(run_dir: str) -> dict[str, str]:
    """The public sources a training run never saw, with the benchmark of each: all of them when it
    used no public sets, else those its config held out (`public_held_out`; a run written before
    that field existed trained on every source)."""
    import yaml

    from training.converters.public import PUBLIC_SOURCES, SOURCE_BENCHMARKS

    config = yaml.safe_load((Path(run_dir) / "config.yaml").read_text(encoding="utf-8")) or {}
    unseen = PUBLIC_SOURCES if not config.get("public_sets") else config.get("public_held_out") or []
    return {source: SOURCE_BENCHMARKS[source] for source in unseen if source in SOURCE_BENCHMARKS}


def _training_facts(run_dir: str) -> dict:
    """Steps, tokens, time and losses of a training run, from its metrics.jsonl."""
    from training.progress import read_metrics

    records = read_metrics(Path(run_dir) / "metrics.jsonl")
    steps = [r for r in records if "loss" in r and "step" in r]
    evals = [r["eval_loss"] for r in records if "eval_loss" in r]
    if not steps:
        return {}
    last = steps[-1]
    return {"optimizer steps": last["step"], "tokens": f"{last.get('tokens', 0):,}",  # cumulative in metrics.jsonl
            "minutes": round(last.get("elapsed_s", 0) / 60, 1), "final loss": round(last["loss"], 3),
            "held-out loss": round(evals[-1], 3) if evals else "n/a",
            "tokens/s (last step)": last.get("tokens_per_s")}


class Eval(ModelOptions, BaseSettings):
    """Evaluate a model (local, or any OpenAI-compatible endpoint) on benchmarks; resumable."""

    model_config = _SETTINGS
    bench: str | None = Field(None, description="benchmarks or groups, comma-separated: bfcl, mc, tools, "
                                                "bfcl_simple, mmlu, ceval, ...")
    limit: int | None = Field(None, ge=1, description="first N items of each benchmark")
    concurrency: int = Field(1, ge=1, le=64, description="requests in flight (useful for endpoints)")
    url: str | None = Field(None, description="evaluate an OpenAI-compatible endpoint instead (…/v1)")
    api_key: str | None = Field(None, description="API key for --url")
    name: str | None = Field(None, description="the model's name in results and cache "
                                               "(default: the model's own; give tuned/quantized runs their own)")
    out: str | None = Field(None, description="runs folder (default: $LINGXI_HOME/eval)")
    data_dir: str | None = Field(None, description="benchmark data folder (default: $LINGXI_DATA_DIR "
                                                   "or ../shared/data)")
    report: CliSubCommand[EvalReport]
    card: CliSubCommand[EvalCard]
    decision: CliSubCommand[EvalDecision]

    def cli_cmd(self) -> None:
        if self.report is not None or self.card is not None or self.decision is not None:
            CliApp.run_subcommand(self)
            return
        from agent_app.progress import progress_bar
        from eval import benchmark_names, get_benchmark, run_benchmark, write_report

        if not self.bench:
            raise SystemExit("lingxi eval: say which benchmarks with --bench (e.g. --bench bfcl_simple,mmlu)")
        names = benchmark_names(self.bench)
        engine = self._engine()
        runs = []
        for name in names:
            bench = get_benchmark(name, self.data_dir)
            with progress_bar(f"{name}") as advance:
                run = run_benchmark(engine, bench, self.limit, self.concurrency, self.out,
                                    progress=lambda done, total, record: advance(done, total),
                                    model_name=self.name)
            print(f"{name:<24} {run.accuracy:6.1%}  ({run.n} items, {run.new_predictions} new)  -> {run.path}")
            runs.append(run)
        report = write_report(runs, Path(runs[0].path).parent / "report")
        print(f"report: {report}")

    def _engine(self):
        if self.url:
            from model.engines.remote import RemoteEngine

            return RemoteEngine(self.url, self.model, self.api_key)
        return _load_engine(self)


class DataCheck(BaseModel):
    """Read a training data file (OpenAI JSONL, ShareGPT, Alpaca, text) and report what a trainer would see."""

    file: CliPositionalArg[str] = Field(description="the data file")
    format: str = Field("auto", description="auto, openai, sharegpt, alpaca, text")
    json_output: bool = Field(False, alias="json", description="print the report as JSON")

    def cli_cmd(self) -> None:
        import json

        from training.check import check_file, format_report

        report = check_file(self.file, self.format)
        print(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) if self.json_output
              else format_report(report))
        if not report.ok:
            raise SystemExit(1)


class DataBuild(BaseModel):
    """Write tool-use training conversations (Lingxi's own tools, English and Chinese) as OpenAI JSONL."""

    file: CliPositionalArg[str] = Field(description="the JSONL file to write")
    count: int = Field(50, ge=0, description="conversations per scenario kind (calculator, parallel, python, "
                                             "web_search, knowledge_base, fetch_url, no_tool, irrelevant, and the "
                                             "media kinds ocr, speech_to_text, text_to_speech)")
    gsm8k: int = Field(0, ge=0, description="also this many GSM8K train items as calculator trajectories")
    multistep: int = Field(0, ge=0, description="also this many multi-step conversations: the knowledge base, web "
                                                "search or a page finds a number, then the calculator uses it")
    irrelevance: int = Field(0, ge=0, description="also this many BFCL-style irrelevance conversations: public "
                                                  "tool schemas offered with requests none of them serve")
    held_out: list[PublicSource] = Field(["api_bank"], description="public sources whose schemas are never used "
                                                                   "(their benchmarks measure generalization)")
    all_tools_share: float = Field(0.5, ge=0, le=1, description="share that offers all five tools")
    seed: int = Field(0, description="seed of the generator")
    data_dir: str | None = Field(None, description="folder with gsm8k/train.jsonl and the public sets (default: "
                                                   "$LINGXI_DATA_DIR or ../shared/data)")

    def cli_cmd(self) -> None:
        import json

        from training.config import default_data_dir
        from training.converters.tool_use import convert_gsm8k, convert_scenarios

        results = [convert_scenarios(self.count, self.seed, all_tools_share=self.all_tools_share)]
        if self.gsm8k:
            results.append(convert_gsm8k(self.data_dir or default_data_dir(), self.gsm8k, self.seed,
                                         all_tools_share=self.all_tools_share))
        if self.multistep:
            from training.converters.multistep import convert_multistep

            results.append(convert_multistep(self.multistep, self.seed, self.all_tools_share))
        if self.irrelevance:
            from training.converters.irrelevance import convert_irrelevance

            results.append(convert_irrelevance(self.data_dir or default_data_dir(), self.irrelevance, self.seed,
                                               held_out=self.held_out))
        path = Path(self.file)
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            for result in results:
                for conversation in result.conversations:
                    handle.write(json.dumps(conversation.to_record(), ensure_ascii=False) + "\n")
        for result in results:
            print(result.summary())
        print(f"wrote {sum(len(r.conversations) for r in results)} conversations -> {path}")


class DataClean(CleanConfig):
    """Clean conversation JSONL: drop duplicates, near duplicates, eval leakage, bad lengths and languages."""

    file: CliPositionalArg[str] = Field(description="the JSONL file to clean (as `lingxi data build` writes it)")
    out: CliPositionalArg[str] = Field(description="the JSONL file of kept conversations (written atomically)")
    report: str | None = Field(None, description="the JSON report (default: OUT with .report.json)")
    dropped: str | None = Field(None, description="also write the dropped records with their reasons (JSONL)")

    def cli_cmd(self) -> None:
        from rich.console import Console

        from agent_app.progress import progress_bar
        from training.clean import clean_file

        config = CleanConfig(**self.model_dump(include=set(CleanConfig.model_fields)))
        with progress_bar("clean") as advance:
            report = clean_file(self.file, self.out, config, self.report, self.dropped, progress=advance)
        Console().print(_clean_table(report))
        print(f"kept {report.records_out} of {report.records_in} -> {self.out}; report: {report.paths['report']}")


def _clean_table(report):
    """The report of `lingxi data clean` as a rich table: what went, why, and one example each."""
    from rich.table import Table

    table = Table(title=f"{report.records_in} in, {report.records_out} out "
                        f"(held-out requests checked: {report.held_out})")
    table.add_column("dropped for")
    table.add_column("records", justify="right")
    table.add_column("example", overflow="fold", max_width=70)
    examples = report.examples(per_reason=1)
    for reason, count in report.to_dict()["dropped"].items():
        table.add_row(reason, str(count), examples[reason][0]["excerpt"])
    languages = ", ".join(f"{name} {count}" for name, count in report.languages_out.most_common())
    table.caption = f"kept by language: {languages or 'none'}"
    return table


class Data(BaseModel):
    """Training data tools."""

    check: CliSubCommand[DataCheck]
    build: CliSubCommand[DataBuild]
    clean: CliSubCommand[DataClean]

    def cli_cmd(self) -> None:
        CliApp.run_subcommand(self)


class Train(BaseModel):
    """Fine-tune (full, LoRA, QLoRA, or continued pre-training) from a YAML recipe; resumes after a kill."""

    config: CliPositionalArg[str] = Field(description="a YAML file or a shipped recipe name "
                                                      "(lora_toolcall, qlora_toolcall, full_sft, pretrain_text, smoke)")
    max_steps: int | None = Field(None, ge=1, description="override the recipe's max_steps")
    output_dir: str | None = Field(None, description="override the run folder")
    no_resume: bool = Field(False, description="start over instead of continuing from the last checkpoint")
    estimate: int | None = Field(None, ge=1, le=20, description="train nothing: time this many real steps (after "
                                 "a warm-up step) and print the run's time and peak memory on this machine, with "
                                 "its data mix; also written to <run>/estimate.json")

    def cli_cmd(self) -> None:
        from agent_app.progress import progress_bar
        from training.config import load_config
        from training.trainer import train

        overrides = {key: value for key, value in (("max_steps", self.max_steps), ("output_dir", self.output_dir))
                     if value is not None}
        config = load_config(self.config, **overrides)
        if self.estimate:
            from training.estimate import estimate_run, write_estimate

            estimate = estimate_run(config, self.estimate)
            path = write_estimate(estimate, config.out_dir)
            print(f"{config.run_name}: {estimate.summary()}")
            print(f"data: {', '.join(f'{name} {count}' for name, count in estimate.sources.items())}"
                  + (f"; dropped: {estimate.dropped}" if estimate.dropped else "") + f" -> {path}")
            return
        with progress_bar("train") as advance:
            def show(update) -> None:
                advance(update.step, update.total)
                logger.info("step %d/%d  loss %.4f  %.0f tokens/s  eta %.0f s", update.step, update.total,
                            update.loss, update.tokens_per_s, update.eta_s)

            result = train(config, progress=show, resume=not self.no_resume)
        loss = "n/a" if result.final_loss is None else f"{result.final_loss:.4f}"
        print(f"trained {result.steps} steps, final loss {loss}, {result.tokens_per_s:.0f} tokens/s "
              f"-> {result.output_dir}")


class Export(ExportOptions):
    """Merge an adapter and write safetensors, GGUF (f16, q8_0, k-quants) or a GGUF LoRA."""

    source: CliPositionalArg[str] = Field(description="a run folder ($LINGXI_HOME/runs/NAME), a peft adapter "
                                                      "folder, or a Hugging Face model folder")

    def cli_cmd(self) -> None:
        from training.export import export

        print(f"wrote {export(self)}")


class Quantize(QuantizeOptions):
    """Quantize a model (GGUF q8_0 ... q4_0 with llama.cpp, or AWQ on a GPU); gate it on eval accuracy."""

    model: CliPositionalArg[str] = Field(description="bundled, a .gguf, a training run, a peft adapter folder "
                                                     "or a Hugging Face folder")

    def cli_cmd(self) -> None:
        from eval.quant_flow import awq_variants, gate, prepare, quantize_all
        from eval.quant_gate import Variant, refusal_message
        from eval.quant_report import write_quant_report
        from model.loader import EngineConfig
        from model.quantize import gguf_file_type
        from training.quant_source import gguf_source, hf_source, source_name

        plan = prepare(self)  # every option checked before any work
        name = source_name(self.model, self.adapter)
        out = plan.out_dir(name)
        out.mkdir(parents=True, exist_ok=True)
        if plan.awq:
            source, variants = awq_variants(plan, hf_source(self.model, self.adapter, out).path, out)
        else:
            f16 = gguf_source(self.model, self.adapter, out).path
            source = Variant(gguf_file_type(f16), f16, EngineConfig(n_ctx=self.n_ctx, n_threads=self.threads))
            variants = quantize_all(plan, name, f16, out)
        summary = gate(plan, name, source, variants, out)
        print(f"report: {write_quant_report(out)}")
        for verdict in summary.verdicts:
            print(f"{verdict.variant.label:<8} {verdict.variant.path}  "
                  + {True: "ready", False: "REFUSED", None: "unchecked (no --eval)"}[verdict.ready])
        if summary.to_dict()["noise"]:
            print(summary.to_dict()["noise"])
        if self.card:
            from eval.quant_gate import record_merged_type

            chosen = record_merged_type(Path(self.card) / "card.json", summary.to_dict())
            print(f"recorded in {Path(self.card) / 'card.json'}: the app serves the adapter merged as {chosen}")
        if summary.refused:
            print("\n".join(refusal_message(v) for v in summary.refused), file=sys.stderr)
            raise SystemExit(1)


def _knowledge_base():
    from tools import KnowledgeBase, lingxi_home

    return KnowledgeBase(lingxi_home() / "knowledge")


def _kb_call(action):
    """Run ``action(kb)``; a tool error (a missing file, an unknown index) becomes one clear line."""
    from tools import ToolError

    kb = _knowledge_base()
    try:
        return kb, action(kb)
    except ToolError as error:
        print(f"lingxi kb: {error}", file=sys.stderr)
        raise SystemExit(1) from None


class KbAdd(BaseModel):
    """Add files or folders (.txt, .md, .pdf) to the knowledge base; a file added again is replaced."""

    paths: CliPositionalArg[list[str]] = Field(description="files or folders")

    def cli_cmd(self) -> None:
        from agent_app.progress import progress_bar

        missing = [path for path in self.paths if not Path(path).exists()]
        if missing:
            print(f"lingxi kb: no such file or folder: {', '.join(missing)}", file=sys.stderr)
            raise SystemExit(1)
        for path in self.paths:
            with progress_bar(f"add {Path(path).name}") as advance:
                _, counts = _kb_call(lambda kb, path=path: kb.ingest(path, progress=lambda done, total, _: advance(done, total)))
            print(f"{path}: {counts['files']} file(s), {counts['chunks']} chunks")


class KbList(BaseModel):
    """List the documents in the knowledge base, and the embedding model it was built with."""

    def cli_cmd(self) -> None:
        kb, documents = _kb_call(lambda kb: kb.documents())
        for doc in documents:
            print(f"{doc['source']}\t{doc['chunks']} chunks" + (f", {doc['pages']} pages" if doc["pages"] else ""))
        print(f"{len(documents)} documents in {kb.path}, embedded with {kb.model}")
        if kb.needs_reindex:
            print(kb.needs_reindex, file=sys.stderr)


class KbSearch(BaseModel):
    """Search the knowledge base as the agent's tool does, and print the passages."""

    query: CliPositionalArg[str] = Field(description="what to look for")
    top_k: int = Field(4, ge=1, le=20, description="passages to show")

    def cli_cmd(self) -> None:
        _, result = _kb_call(lambda kb: kb.search(self.query, self.top_k))
        print(getattr(result, "text", result))


class KbRemove(BaseModel):
    """Remove a document (by its file name) from the knowledge base."""

    source: CliPositionalArg[str] = Field(description="the document's file name, as `lingxi kb list` shows it")

    def cli_cmd(self) -> None:
        _, removed = _kb_call(lambda kb: kb.remove(self.source))
        if not removed:
            print(f"lingxi kb: no document named {self.source!r}", file=sys.stderr)
            raise SystemExit(1)
        print(f"removed {self.source} ({removed} chunks)")


class KbReindex(BaseModel):
    """Re-embed every stored chunk with the default embedding model (multilingual-e5-small);
    the old index stays until the new one is complete."""

    def cli_cmd(self) -> None:
        from agent_app.progress import progress_bar

        with progress_bar("reindex") as advance:
            _, summary = _kb_call(lambda kb: kb.reindex(progress=lambda done, total, _: advance(done, total)))
        print(f"re-embedded {summary['chunks']} chunks: {summary['from']} -> {summary['to']}")


class Kb(BaseModel):
    """The knowledge base the agent's knowledge_base tool searches ($LINGXI_HOME/knowledge)."""

    add: CliSubCommand[KbAdd]
    list: CliSubCommand[KbList]
    search: CliSubCommand[KbSearch]
    remove: CliSubCommand[KbRemove]
    reindex: CliSubCommand[KbReindex]

    def cli_cmd(self) -> None:
        CliApp.run_subcommand(self)



class McpServe(ToolSourceOptions, BaseSettings):
    """Offer Lingxi's tools to MCP clients (Claude Desktop, Cursor...) over stdio, or streamable HTTP at /mcp."""

    model_config = _SETTINGS
    tools: str | None = Field(None, description="tools to offer, comma-separated (default: calculator, python, "
                                                "web_search, knowledge_base, fetch_url and those of --tools-module)")
    transport: Literal["stdio", "http"] = Field("stdio", description="stdio (the client starts the server) or "
                                                                     "http (streamable HTTP at /mcp)")
    host: str = Field("127.0.0.1", description="http: address to bind (loopback unless you mean it)")
    port: int = Field(7862, ge=1, le=65535, description="http: port to listen on")
    api_key: SecretStr | None = Field(None, description="http: every request needs 'Authorization: Bearer KEY'")

    def cli_cmd(self) -> None:
        from agent_app import mcp_server
        from tools import ToolError, lingxi_home

        try:
            server, names = mcp_server.lingxi_mcp_server(lingxi_home(), self.tools, self.tools_module)
        except (ToolError, ValueError) as error:
            print(f"lingxi mcp serve: {error}", file=sys.stderr)
            raise SystemExit(1) from None
        where = "stdio" if self.transport == "stdio" else f"http://{self.host}:{self.port}{mcp_server.HTTP_PATH}"
        print(f"Lingxi MCP server ({', '.join(names)}) on {where}", file=sys.stderr, flush=True)
        if self.transport == "stdio":
            mcp_server.serve_stdio(server)
        else:
            key = self.api_key.get_secret_value() if self.api_key else None
            mcp_server.serve_http(server, self.host, self.port, key)


class Mcp(BaseModel):
    """The Model Context Protocol: `lingxi mcp serve` offers Lingxi's tools to MCP clients."""

    serve: CliSubCommand[McpServe]

    def cli_cmd(self) -> None:
        CliApp.run_subcommand(self)


class Lingxi(BaseSettings):
    """Lingxi (灵犀): evaluate, fine-tune, quantize and serve a small local model as a tool-calling assistant."""

    model_config = SettingsConfigDict(cli_prog_name="lingxi", cli_kebab_case=True, cli_implicit_flags=True,
                                      extra="ignore")
    serve: CliSubCommand[Serve]
    chat: CliSubCommand[Chat]
    kb: CliSubCommand[Kb]
    eval: CliSubCommand[Eval]
    data: CliSubCommand[Data]
    train: CliSubCommand[Train]
    export: CliSubCommand[Export]
    quantize: CliSubCommand[Quantize]
    mcp: CliSubCommand[Mcp]

    def cli_cmd(self) -> None:
        CliApp.run_subcommand(self)


def run_command(command: type, args: list[str], prog: str = "lingxi") -> int:
    """Run a pydantic-settings command; bad options and our typed errors become one clear line
    on stderr and an exit status (2: invalid option, 1: the command failed)."""
    from eval import EvalError
    from model.errors import ModelError
    from tools.errors import ToolSourceError
    from training.errors import TrainingError

    try:
        CliApp.run(command, cli_args=args)
    except ValidationError as error:
        print(f"{prog}: invalid option: {error}", file=sys.stderr)
        return 2
    except (ModelError, EvalError, TrainingError, ToolSourceError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = sys.argv[1:] if argv is None else argv
    return run_command(Lingxi, args or ["--help"])


if __name__ == "__main__":
    sys.exit(main())
