"""Ask llama.cpp's own grammar sampler whether a grammar takes a text, token by token: the real
check of what a grammar allows, without sampling from a model."""
from __future__ import annotations

import ctypes


def grammar_accepts(llm, gbnf: str, text: str) -> bool:
    """Whether ``gbnf`` allows ``text`` whole (every token of it, then the end of generation)."""
    from llama_cpp import llama_cpp

    sampler = llama_cpp.llama_sampler_init_grammar(llm._model.vocab, gbnf.encode("utf-8"), b"root")
    assert sampler, "llama.cpp did not parse the grammar"
    try:
        tokens = llm.tokenize(text.encode("utf-8"), add_bos=False, special=False)
        for token in [*tokens, llm.token_eos()]:
            if not _allowed(sampler, token):
                return False
            if token != llm.token_eos():
                llama_cpp.llama_sampler_accept(sampler, token)
        return True
    finally:
        llama_cpp.llama_sampler_free(sampler)


def _allowed(sampler, token: int) -> bool:
    from llama_cpp import llama_cpp

    data = (llama_cpp.llama_token_data * 1)(llama_cpp.llama_token_data(token, 0.0, 0.0))
    candidates = llama_cpp.llama_token_data_array(data, 1, -1, False)
    llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
    return data[0].logit != float("-inf")
