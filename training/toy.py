"""Toy-scale pieces for smoke tests and benchmarks: a byte-level tokenizer with ChatML, a tiny
random Llama, and a small built-in set of tool-calling conversations. Nothing is downloaded."""
from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

from training.conversation import Conversation

CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + "
          "'<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}"
          "{% endif %}")


def byte_tokenizer():
    """A byte-level BPE tokenizer without merges (259 tokens: 256 bytes, <|endoftext|>,
    <|im_start|>, <|im_end|>) carrying a ChatML template; builds in milliseconds."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    alphabet = pre_tokenizers.ByteLevel.alphabet()
    vocab = {char: index for index, char in enumerate(sorted(alphabet))}
    core = Tokenizer(models.BPE(vocab=vocab, merges=[]))
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                        bos_token="<|im_start|>")
    tokenizer.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tokenizer.chat_template = CHATML
    return tokenizer


def make_tiny_llama(folder: str | Path, tokenizer: Any, hidden: int = 64, layers: int = 2, seed: int = 0,
                    initializer_range: float = 0.02) -> Path:
    """A random LlamaForCausalLM (tied embeddings) saved with `tokenizer` as an HF folder."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
                         num_hidden_layers=layers, num_attention_heads=4, num_key_value_heads=2,
                         max_position_embeddings=2048, tie_word_embeddings=True,
                         initializer_range=initializer_range, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(config)
    folder = Path(folder)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


_CITIES = ["Paris", "Beijing", "Lima", "Oslo", "Cairo", "Hanoi", "Quito", "Perth", "Accra", "Riga"]
_WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Current weather of a city",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
_CALC = {"type": "function", "function": {
    "name": "calculator", "description": "Evaluate an arithmetic expression",
    "parameters": {"type": "object", "properties": {"expression": {"type": "string"}}, "required": ["expression"]}}}


def toy_conversations(count: int = 48, seed: int = 0) -> list[Conversation]:
    """Tool-calling conversations of varied length: a call and its result, a plain answer, or
    several turns; in the OpenAI form the app exports."""
    rng = random.Random(seed)
    out = []
    for index in range(count):
        city = rng.choice(_CITIES)
        a, b = rng.randrange(2, 999), rng.randrange(2, 99)
        kind = index % 3
        if kind == 0:
            messages = [
                {"role": "user", "content": f"What's the weather in {city}?"},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c0", "type": "function", "function": {
                    "name": "get_weather", "arguments": json.dumps({"city": city})}}]},
                {"role": "tool", "tool_call_id": "c0", "content": json.dumps({"temp_c": rng.randrange(-5, 35)})},
                {"role": "assistant", "content": f"It is mild in {city} today."},
            ]
        elif kind == 1:
            messages = [{"role": "user", "content": f"Say hello to {city} " + "please " * rng.randrange(0, 12)},
                        {"role": "assistant", "content": f"Hello, {city}!"}]
        else:
            messages = [
                {"role": "system", "content": "You are a careful assistant."},
                {"role": "user", "content": f"Compute {a} * {b}."},
                {"role": "assistant", "content": None, "tool_calls": [{"id": "c0", "type": "function", "function": {
                    "name": "calculator", "arguments": json.dumps({"expression": f"{a}*{b}"})}}]},
                {"role": "tool", "tool_call_id": "c0", "content": str(a * b)},
                {"role": "assistant", "content": f"{a} * {b} = {a * b}."},
                {"role": "user", "content": "Thanks! " + "And more detail? " * rng.randrange(0, 6)},
                {"role": "assistant", "content": "You are welcome."},
            ]
        out.append(Conversation.from_record({"messages": messages, "tools": [[_WEATHER], [], [_CALC]][kind], "id": f"toy-{index}"},
                                            source="toy"))
    return out


def write_toy_data(path: str | Path, count: int = 48, seed: int = 0) -> Path:
    from training.formats import write_openai_jsonl

    write_openai_jsonl(toy_conversations(count, seed), path)
    return Path(path)
