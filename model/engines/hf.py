"""transformers: any Hugging Face model (or a GGUF through `gguf_file=`), plus a peft LoRA
adapter, on CPU or CUDA. The path a freshly trained adapter is served on before export."""
from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from model.engines.base import TextChunk
from model.errors import EngineUnavailableError, GenerationError
from model.types import SamplingParams

logger = logging.getLogger(__name__)


def pick_device(device: str = "auto") -> str:
    import torch

    if device != "auto":
        return device
    return "cuda" if torch.cuda.is_available() else "cpu"


def load_hf_model(path: str, gguf_file: str | None = None, adapter: str | None = None,
                  device: str = "auto", dtype: str = "auto", bnb: str | None = None):
    """(model, tokenizer) from a folder, hub id or GGUF, with an optional peft adapter applied.
    `bnb` ("int8", "nf4", "fp4"): load the weights with bitsandbytes (model.quantize.bnb_config);
    on a CPU that saves memory, not time (shared/FACTS.md: ~0.6 tokens/s)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = pick_device(device)
    torch_dtype = {"auto": torch.bfloat16 if device == "cuda" else torch.float32,
                   "float32": torch.float32, "bfloat16": torch.bfloat16,
                   "float16": torch.float16}[dtype]
    kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
    logger.info("loading %s%s with transformers on %s%s", path, f" ({gguf_file})" if gguf_file else "", device,
                f" (bitsandbytes {bnb})" if bnb else "")
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    if bnb:
        from model.quantize import bnb_config

        kwargs.update(quantization_config=bnb_config(bnb), device_map={"": device})  # type: ignore[arg-type]
    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype, **kwargs)
    if adapter:
        from peft import PeftModel

        logger.info("applying LoRA adapter %s", adapter)
        model = PeftModel.from_pretrained(model, adapter)
    (model if bnb else model.to(device)).eval()  # a bitsandbytes model is placed at load and cannot move
    return model, tokenizer


class HFTokenizerMixin:
    """What a generator with a Hugging Face tokenizer (`self.tokenizer`) knows about its text."""

    def special_tokens(self) -> tuple[str, str]:
        return self.tokenizer.bos_token or "", self.tokenizer.eos_token or ""

    @property
    def chat_template(self) -> str | None:
        return getattr(self.tokenizer, "chat_template", None)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenizer(text, add_special_tokens=False)["input_ids"])


class TransformersGenerator(HFTokenizerMixin):
    """Not thread-safe on its own: callers serialise access (the server's queue)."""

    supports_json_schema = True
    """A JSON schema is decoded under llguidance's grammar of it (model/engines/hf_grammar.py)."""

    def __init__(self, model, tokenizer, n_ctx: int | None = None, stop: list[str] | None = None):
        self.model = model
        self.tokenizer = tokenizer
        config_ctx = getattr(model.config, "max_position_embeddings", None) or 4096
        self.n_ctx = min(n_ctx or config_ctx, config_ctx)
        self.stop = list(stop or [])
        self.repeat_penalty = 1.0
        """transformers' repetition_penalty (1: off)."""
        self._lock = threading.Lock()
        self._grammars = None  # model.engines.hf_grammar.SchemaGrammars, made on first use

    @classmethod
    def from_path(cls, path: str, gguf_file: str | None = None, adapter: str | None = None,
                  device: str = "auto", dtype: str = "auto", n_ctx: int | None = None, bnb: str | None = None):
        try:
            model, tokenizer = load_hf_model(path, gguf_file, adapter, device, dtype, bnb)
        except OSError as error:
            raise EngineUnavailableError(f"transformers could not load {path!r}: {error}") from error
        return cls(model, tokenizer, n_ctx)

    def prepare_schema(self, json_schema: dict[str, Any]):
        """llguidance's grammar of ``json_schema`` for this tokenizer, built once (the most recent
        64 are kept); raises GrammarError when llguidance cannot express the schema."""
        from model.engines.hf_grammar import SchemaGrammars

        if self._grammars is None:
            self._grammars = SchemaGrammars(self.tokenizer)
        return self._grammars.compile(json_schema)

    def generate(self, prompt: str, params: SamplingParams, json_schema: dict[str, Any] | None,
                 cancel: threading.Event) -> Iterator[TextChunk]:
        import torch
        from transformers import LogitsProcessorList, StoppingCriteriaList, TextIteratorStreamer

        grammar = self.prepare_schema(json_schema) if json_schema else None
        inputs = self.tokenizer(prompt, return_tensors="pt", add_special_tokens=False).to(self.model.device)
        prompt_length = inputs["input_ids"].shape[1]
        streamer = TextIteratorStreamer(self.tokenizer, skip_prompt=True, skip_special_tokens=True)
        stops = self.stop + list(params.stop)
        stopper = _StopOn(cancel, self.tokenizer, prompt_length, stops)
        criteria, processors = [stopper], []
        if grammar is not None:  # masks before temperature / top-p; ends as soon as the JSON is whole
            constraint = grammar.constraint(prompt_length)
            processors.append(constraint)
            criteria.append(constraint.stopping_criterion())
        sampling = params.temperature > 0
        kwargs = dict(
            **inputs, streamer=streamer, max_new_tokens=params.max_tokens,
            do_sample=sampling, stopping_criteria=StoppingCriteriaList(criteria),
            logits_processor=LogitsProcessorList(processors),
            pad_token_id=self.tokenizer.pad_token_id or self.tokenizer.eos_token_id,
        )
        if self.repeat_penalty != 1.0:
            kwargs.update(repetition_penalty=self.repeat_penalty)
        if sampling:
            kwargs.update(temperature=params.temperature, top_p=params.top_p)
        with self._lock:
            if params.seed is not None:
                torch.manual_seed(params.seed)
            errors: list[BaseException] = []
            worker = threading.Thread(target=_run_generate, args=(self.model, kwargs, errors), daemon=True)
            worker.start()
            text = ""
            for piece in streamer:
                text += piece
                cut = _first_stop(text, stops)
                if cut is not None:
                    piece = piece[: len(piece) - (len(text) - cut)]
                    if piece:
                        yield TextChunk(piece, 0)
                    break
                yield TextChunk(piece, 0)
            cancel_after = stopper.stopped
            stopper.stop_now = True
            worker.join()
            if errors:
                raise GenerationError(f"transformers failed: {errors[0]}") from errors[0]
            yield TextChunk("", stopper.generated)
        hit_limit = stopper.generated >= (params.max_tokens or 0) and not cancel_after
        return "length" if hit_limit else "stop"

    def next_token_logprobs(self, prompt: str, candidates: list[str]) -> dict[str, float]:
        import torch

        ids = self._ids(prompt)
        logprobs = torch.log_softmax(self._last_logits(ids, 1)[0], dim=-1)
        result = {}
        for candidate in candidates:
            token_ids = self.tokenizer(candidate, add_special_tokens=False)["input_ids"]
            result[candidate] = float(logprobs[token_ids[0]]) if token_ids else float("-inf")
        return result

    def continuation_logprob(self, prompt: str, continuation: str) -> float:
        """log P(``continuation`` | ``prompt``) in one forward pass over both, each tokenized on its
        own as generation would see them (the prompt, then the tokens written after it)."""
        import torch

        prompt_ids, extra = self._ids(prompt), self._ids(continuation)
        if not extra:
            return 0.0
        logits = self._last_logits(prompt_ids + extra, len(extra) + 1)[:-1]  # each predicts the next
        logprobs = torch.log_softmax(logits, dim=-1)
        return float(logprobs.gather(1, torch.tensor(extra).unsqueeze(1)).sum())

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=False)["input_ids"]

    def _last_logits(self, ids: list[int], keep: int):
        """The float32 logits at the last ``keep`` positions of one forward pass over ``ids`` (only
        those are computed where the model allows: over a 49k vocabulary the rest is most of the
        memory)."""
        import torch

        input_ids = torch.tensor([ids], device=self.model.device)
        options = {"logits_to_keep": keep} if _keeps_logits(self.model) else {}
        with self._lock, torch.no_grad():
            logits = self.model(input_ids=input_ids, **options).logits[0, -keep:]
        return logits.float().cpu()

    def close(self) -> None:
        self.model = None


def _keeps_logits(model) -> bool:
    """Whether the model's forward takes `logits_to_keep` (a peft wrapper passes it through)."""
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    return "logits_to_keep" in inspect.signature(base.forward).parameters


def _run_generate(model, kwargs, errors: list[BaseException]) -> None:
    try:
        model.generate(**kwargs)
    except BaseException as error:  # reported to the caller's thread
        errors.append(error)
        kwargs["streamer"].end()


def _first_stop(text: str, stops: list[str]) -> int | None:
    found = [text.find(stop) for stop in stops if stop and stop in text]
    return min(found) if found else None


class _StopOn:
    """Stops generate() on cancel, on a stop string, or when the consumer is done."""

    def __init__(self, cancel: threading.Event, tokenizer, prompt_length: int, stops: list[str]):
        self.cancel, self.tokenizer, self.prompt_length, self.stops = cancel, tokenizer, prompt_length, stops
        self.generated = 0
        self.stopped = False
        self.stop_now = False

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        self.generated = input_ids.shape[1] - self.prompt_length
        new_tokens = input_ids[0, self.prompt_length:][-8:]  # never the prompt's own turn ends
        tail = self.tokenizer.decode(new_tokens, skip_special_tokens=False)
        done = self.stop_now or self.cancel.is_set() or any(stop in tail for stop in self.stops)
        self.stopped = self.stopped or done
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


def gguf_parts(path: str) -> tuple[str, str]:
    """A GGUF file path -> (folder, file name), as transformers' gguf_file= wants them."""
    file = Path(path)
    return str(file.parent), file.name
