"""Does an exported GGUF behave like the model it came from? Greedy tokens from llama.cpp
against greedy tokens from transformers, on the same prompt token ids.

The accuracy gate after export and quantization (shared/FACTS.md: re-quantizing a merged
fine-tune to Q4_1 erased it while q8_0 kept it). llama.cpp runs in a subprocess, so a crash of
the native library is reported as an error instead of ending the caller.
"""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from training.errors import TrainingError

DEFAULT_PROMPTS = ("<|im_start|>user\nWhat is the capital of France?<|im_end|>\n<|im_start|>assistant\n",
                   "<|im_start|>user\nWrite a haiku about rain.<|im_end|>\n<|im_start|>assistant\n",
                   "def fibonacci(n):")

_LLAMA = textwrap.dedent("""
    import json, sys
    from llama_cpp import Llama
    path, lora, n, prompts = sys.argv[1], sys.argv[2] or None, int(sys.argv[3]), json.loads(sys.argv[4])
    stops = set(json.loads(sys.argv[5]))
    llm = Llama(model_path=path, lora_path=lora, use_mmap=lora is None, n_ctx=max(256, 2 * n + max(map(len, prompts))),
                n_threads=1, n_threads_batch=1, verbose=False)
    out = []
    for prompt in prompts:
        llm.reset()
        ids = []
        for token in llm.generate(prompt, temp=0.0, top_k=1):
            ids.append(int(token))
            if len(ids) == n or token in stops:
                break
        out.append(ids)
    print(json.dumps(out))
""")


class GgufCheckError(TrainingError):
    """llama.cpp could not load or run the GGUF."""


@dataclass
class GreedyComparison:
    prompts: list[list[int]]
    expected: list[list[int]]
    """transformers' greedy continuation of each prompt."""
    got: list[list[int]]
    """llama.cpp's."""
    agreement: list[int] = field(default_factory=list)
    """Per prompt: how many leading tokens agree."""

    def __post_init__(self) -> None:
        self.agreement = [_common_prefix(a, b) for a, b in zip(self.expected, self.got)]

    @property
    def identical(self) -> bool:
        return self.expected == self.got

    def summary(self) -> str:
        same = sum(a == b for a, b in zip(self.expected, self.got))
        return (f"{same}/{len(self.prompts)} prompts identical; leading tokens in agreement: "
                + ", ".join(f"{a}/{len(e)}" for a, e in zip(self.agreement, self.expected)))


def _common_prefix(a: list[int], b: list[int]) -> int:
    count = 0
    for x, y in zip(a, b):
        if x != y:
            break
        count += 1
    return count


def llama_cpp_greedy(gguf: str | Path, prompts: list[list[int]], new_tokens: int,
                     lora: str | Path | None = None, stop_ids: list[int] = (), timeout: float = 300) -> list[list[int]]:
    """Greedy token ids from llama.cpp (in a subprocess) for each prompt of token ids; a
    continuation ends after `new_tokens` or with (and including) a token of `stop_ids`."""
    done = subprocess.run([sys.executable, "-c", _LLAMA, str(gguf), str(lora or ""), str(new_tokens),
                           json.dumps(prompts), json.dumps(list(stop_ids))],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise GgufCheckError(f"llama.cpp could not run {gguf} (exit {done.returncode}): {done.stderr[-1500:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def stop_ids_of(model) -> list[int]:
    """The end-of-sequence ids the model's generation config stops at."""
    ids = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    ids = getattr(model.config, "eos_token_id", None) if ids is None else ids
    return [] if ids is None else [ids] if isinstance(ids, int) else list(ids)


def transformers_greedy(model, prompts: list[list[int]], new_tokens: int,
                        stop_ids: list[int] | None = None) -> list[list[int]]:
    """Greedy continuations, each ending after `new_tokens` or with a token of `stop_ids`
    (default: none, every continuation is `new_tokens` long)."""
    import torch

    stops = list(stop_ids or [])
    out = []
    with torch.no_grad():
        for prompt in prompts:
            ids = model.generate(torch.tensor([prompt], device=model.device), max_new_tokens=new_tokens,
                                 min_new_tokens=None if stops else new_tokens, do_sample=False,
                                 eos_token_id=stops or None, pad_token_id=model.config.pad_token_id or 0)
            out.append(ids[0, len(prompt):].tolist())
    return out


def compare_greedy(gguf: str | Path, reference: str | Path, prompts: list[str] | list[list[int]] | None = None,
                   new_tokens: int = 16, lora: str | Path | None = None,
                   adapter: str | Path | None = None) -> GreedyComparison:
    """Greedy continuations of `prompts` (text, tokenized with the reference's tokenizer, or token
    ids) from the GGUF (with an optional GGUF LoRA) and from the Hugging Face folder `reference`
    (with an optional peft `adapter`), in fp32."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(str(reference), dtype=torch.float32)
    if adapter is not None:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, str(adapter))
    model.eval()
    texts = list(prompts or DEFAULT_PROMPTS)
    if texts and isinstance(texts[0], str):
        tokenizer = AutoTokenizer.from_pretrained(str(reference))
        ids = [tokenizer.encode(text, add_special_tokens=False) for text in texts]
    else:
        ids = [list(prompt) for prompt in texts]
    stops = stop_ids_of(model)
    expected = transformers_greedy(model, ids, new_tokens, stops)
    return GreedyComparison(ids, expected, llama_cpp_greedy(gguf, ids, new_tokens, lora, stops))
