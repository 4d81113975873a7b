"""The UI's pure parts, without a browser: rendering steps, anchors and thumbs, the text table,
model choices, the engine cache and the app's settings."""
import pytest

from agent_app.memory import FeedbackStep, ModelStep, ToolStep, UserStep
from model.errors import EngineUnavailableError
from model.engines.queued import QueuedEngine
from model.scripted import ScriptedEngine
from model.types import ToolCall
from ui.engines import DEFAULT, REMOTE, EngineCache, EngineSpec, adapter_paths, model_choices, spec_for
from ui.i18n import TEXT, t
from ui.render import answer_in_group, feedback_values, note, render_steps

CALL = ToolCall("calculator", {"expression": "6*7"}, id="c1")
STEPS = [UserStep("6 times 7?"), ModelStep("", [CALL]), ToolStep("c1", "calculator", "42", True, 0.25),
         ModelStep("It is 42."), UserStep("thanks"), FeedbackStep("Error: bad call"), ModelStep("You're welcome.")]


def test_a_tool_step_is_one_collapsible_message_with_arguments_result_and_time():
    view = render_steps(STEPS, "en")
    step = view.messages[1]
    assert step.metadata["title"] == "Tool · calculator"
    assert step.metadata["status"] == "done" and step.metadata["duration"] == 0.25
    assert '"expression": "6*7"' in step.content and "42" in step.content
    assert [m.role for m in view.messages] == ["user", "assistant", "assistant", "user", "assistant", "assistant"]
    assert view.anchors == [("user", 0), ("step", 1), ("answer", 3), ("user", 4), ("step", 5), ("answer", 6)]


def test_a_call_without_its_result_yet_is_pending_and_streaming_text_follows():
    view = render_steps(STEPS[:2], "zh", streaming="正在")
    assert view.messages[1].metadata["status"] == "pending"
    assert view.messages[1].metadata["title"] == "工具 · calculator"
    assert view.messages[-1].content == "正在" and view.anchors[-1] == ("note", None)


def test_failed_tools_react_thoughts_and_fences_inside_results():
    steps = [UserStep("q"), ModelStep("", [CALL], thought="I should compute."),
             ToolStep("c1", "calculator", "Error: ```boom```", False)]
    view = render_steps(steps, "en")
    assert view.messages[1].metadata["title"] == "Thought" and view.messages[1].content == "I should compute."
    assert view.messages[2].metadata["title"] == "Tool · calculator (failed)"
    assert "````text\nError: ```boom```\n````" in view.messages[2].content


def test_thumbs_follow_gradio_bot_groups_and_a_like_on_a_group_rates_its_answer():
    view = note(render_steps(STEPS, "en"), "⚠ oops")
    assert feedback_values(view, {3: "like", 6: "dislike"}) == ["Like", "Dislike"]
    assert feedback_values(view, {}) == [None, None]
    assert answer_in_group(view.anchors, 1) == 3
    assert answer_in_group(view.anchors, 4) == 6
    assert answer_in_group([("user", 0), ("note", None)], 1) is None


def test_every_text_has_english_and_chinese():
    for key, (english, chinese) in TEXT.items():
        assert english and chinese and english != chinese, key
    assert t("zh", "tool_step", name="x") == "工具 · x"
    assert t("en", "send") == "Send"


def test_model_choices_list_trained_adapters(tmp_path):
    adapters = tmp_path / "adapters"
    (adapters / "peft-run").mkdir(parents=True)
    (adapters / "peft-run" / "adapter_config.json").write_text("{}")
    (adapters / "lora.gguf").write_bytes(b"GGUF")
    (adapters / "gguf-run").mkdir()
    (adapters / "gguf-run" / "adapter.gguf").write_bytes(b"GGUF")
    (adapters / "empty").mkdir()
    assert [p.name for p in adapter_paths(tmp_path)] == ["adapter.gguf", "lora.gguf", "peft-run"]
    choices = model_choices("scripted", tmp_path, lambda key, **f: f"{key}:{f.get('name', '')}")
    values = [value for _, value in choices]
    assert values[:2] == [DEFAULT, "bundled"] and values[-1] == REMOTE
    assert f"adapter:{adapters / 'peft-run'}" in values
    assert ("model_adapter:gguf-run", f"adapter:{adapters / 'gguf-run' / 'adapter.gguf'}") in choices
    assert adapter_paths(tmp_path / "nowhere") == []


def test_adapters_of_training_runs_are_listed_too(tmp_path):
    run = tmp_path / "runs" / "lora_toolcall" / "adapter"
    run.mkdir(parents=True)
    (run / "adapter_config.json").write_text("{}")
    (tmp_path / "runs" / "unfinished").mkdir()
    assert adapter_paths(tmp_path) == [run]
    choices = model_choices("scripted", tmp_path, lambda key, **f: f"{key}:{f.get('name', '')}")
    assert ("model_adapter:lora_toolcall", f"adapter:{run}") in choices


def test_specs_behind_the_choices():
    assert spec_for(DEFAULT).key == DEFAULT
    assert spec_for("adapter:/a/b") == EngineSpec("local", "bundled", "/a/b")
    remote = spec_for(REMOTE, "http://host:23333/v1/ ", "m", "")
    assert remote.url == "http://host:23333/v1" and remote.api_key is None and remote.key.startswith("remote:")
    with pytest.raises(EngineUnavailableError, match="URL"):
        spec_for(REMOTE, "  ")


class Closing(ScriptedEngine):
    """An engine that records its closing in ``closed``."""

    def __init__(self, closed: list, **kwargs):
        super().__init__(**kwargs)
        self.closed = closed

    def close(self):
        self.closed.append(self.name)


@pytest.fixture
def engine_log(monkeypatch):
    """The EngineCache opens scripted engines: ([models opened], [models closed])."""
    opened, closed = [], []

    def fake_open(self, spec):
        opened.append(spec.model)
        return Closing(closed, name=spec.model)

    monkeypatch.setattr(EngineCache, "_open", fake_open)
    return opened, closed


def test_the_engine_cache_shares_one_engine_per_model_and_closes_the_oldest(engine_log):
    opened, closed = engine_log
    default = QueuedEngine(ScriptedEngine(name="default"))
    cache = EngineCache(default, max_engines=2)
    first = cache.load(EngineSpec("local", "a"))
    assert cache.load(EngineSpec("local", "a")) is first and opened == ["a"]
    assert cache.get(DEFAULT) is default and cache.get(None) is default
    cache.load(EngineSpec("local", "b"))
    cache.load(EngineSpec("local", "c"))
    assert closed == ["a"]
    assert cache.get(EngineSpec("local", "a").key).name == "a" and opened == ["a", "b", "c", "a"]
    assert closed == ["a", "b"]
    cache.close()
    assert sorted(closed) == ["a", "a", "b", "c"]


def test_a_picked_model_made_the_default_serves_the_default_key_and_is_never_loaded_twice(engine_log):
    opened, closed = engine_log
    cache = EngineCache(QueuedEngine(Closing(closed, name="shipped")), max_engines=1)
    tuned = cache.load(EngineSpec("local", "tuned"))
    assert cache.make_default(EngineSpec("local", "tuned").key) is tuned
    assert cache.get(DEFAULT) is tuned and cache.get(EngineSpec("local", "tuned").key) is tuned
    assert cache.load(EngineSpec("local", "tuned")) is tuned and opened == ["tuned"]
    assert cache.name(DEFAULT) == "tuned" and closed == []  # the former default stays loaded...
    cache.load(EngineSpec("local", "other"))
    assert closed == ["shipped"]  # ...until a picked model needs its room
    cache.close()
    assert closed == ["shipped", "other"]


def test_a_remote_endpoint_that_is_down_is_a_readable_model_error():
    from ui.engines import first_remote_model

    with pytest.raises(EngineUnavailableError, match="cannot reach http://127.0.0.1:9/v1"):
        first_remote_model("http://127.0.0.1:9/v1", None, timeout=2)


def test_web_settings_need_both_username_and_password():
    from pydantic import ValidationError

    from app import WebOptions

    assert WebOptions(username="me", password="pw").password.get_secret_value() == "pw"
    with pytest.raises(ValidationError, match="both"):
        WebOptions(username="me")


def test_an_unparsable_call_is_a_folded_failed_step_and_never_text_in_the_answer():
    from agent_app.agent import Agent
    from tools import ToolRegistry, calculator

    broken = '<tool_call>{"name": "calculator", "arguments": {"expression": </tool_call>'
    engine = ScriptedEngine(["Let me compute. " + broken, "It is 42."])
    steps = []
    list(Agent(engine, ToolRegistry([calculator])).run("6*7?", on_step=steps.append))
    for language, title in (("en", "Format error, shown to the model"), ("zh", "格式错误（已反馈给模型）")):
        view = render_steps(steps, language)
        folded = [m for m in view.messages if (m.metadata or {}).get("title") == title]
        assert len(folded) == 1 and '{"expression": ' in folded[0].content
        shown = [m.content for m in view.messages if not m.metadata]
        assert not any("<tool_call>" in text for text in shown)
        assert shown[-1] == "It is 42."
