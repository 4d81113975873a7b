"""The page: conversations on the left, the chat in the middle, settings / knowledge / data on the
right. Builds the components, hands them to each feature module's `wire`, and switches the
interface language (every label comes from ui/i18n.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import gradio as gr

from ui import chat, feedback, finetune, knowledge, models, sessions, tool_servers
from ui.engines import DEFAULT
from ui.i18n import LANGUAGES, t
from ui.services import Services

CSS = """
#chat { flex-grow: 1; }
#sessions { max-height: 420px; overflow-y: auto; }
#sessions label { width: 100%; }
.lingxi-header { margin-bottom: 0 !important; }
footer { display: none !important; }
"""
THEME = gr.themes.Soft(primary_hue="teal", font=["ui-sans-serif", "system-ui", "sans-serif"],
                       font_mono=["ui-monospace", "monospace"])


@dataclass
class Components:
    """Every component a handler reads or writes, by name."""

    demo: gr.Blocks
    translated: list[tuple[Any, str, str]] = field(default_factory=list)
    """(component, text key, property) for the language switch."""

    def tr(self, component, key: str, prop: str = "label"):
        self.translated.append((component, key, prop))
        return component

    def __getattr__(self, name: str) -> Any:  # only reached for components not yet built
        raise AttributeError(f"no component named {name!r}")


def build_blocks(services: Services) -> gr.Blocks:
    language = services.language
    with gr.Blocks(title="Lingxi 灵犀", analytics_enabled=False, fill_height=True) as demo:
        c = Components(demo)
        c.language = gr.State(language)
        c.session_id = gr.State(None)
        c.anchors = gr.State([])
        c.engine_key = gr.State(DEFAULT)
        _header(c, language)
        with gr.Tabs(elem_id="pages") as c.pages:
            with c.tr(gr.Tab(t(language, "ft_tab_chat"), id="page-chat", elem_id="page-chat"), "ft_tab_chat"):
                _chat_page(c, language, services)
            with c.tr(gr.Tab(t(language, "ft_tab"), id="page-finetune", elem_id="page-finetune"), "ft_tab"):
                _finetune_page(c, language)
        for module in (chat, sessions, knowledge, feedback, models, tool_servers, finetune):
            module.wire(c, services)
        _wire_language(c, services)
    return demo


def _chat_page(c: Components, language: str, services: Services) -> None:
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=220):
            _sessions_column(c, language, services)
        with gr.Column(scale=4, min_width=480):
            _chat_column(c, language)
        with gr.Column(scale=2, min_width=300):
            with gr.Tabs():
                with c.tr(gr.Tab(t(language, "settings"), elem_id="tab-settings"), "settings"):
                    _settings_tab(c, language, services)
                with c.tr(gr.Tab(t(language, "knowledge"), elem_id="tab-knowledge"), "knowledge"):
                    _knowledge_tab(c, language)
                with c.tr(gr.Tab(t(language, "data"), elem_id="tab-data"), "data"):
                    _data_tab(c, language)


def _finetune_page(c: Components, language: str) -> None:
    c.ft_help = c.tr(gr.Markdown(t(language, "ft_help")), "ft_help", "value")
    with gr.Row(equal_height=False):
        with gr.Column(min_width=280):
            c.ft_data_title = c.tr(gr.Markdown(t(language, "ft_data")), "ft_data", "value")
            c.ft_use_liked = c.tr(gr.Checkbox(True, label=t(language, "ft_use_liked"), elem_id="ft-use-liked"),
                                  "ft_use_liked")
            c.ft_liked = gr.Markdown(elem_id="ft-liked")
            c.ft_refresh = c.tr(gr.Button(t(language, "ft_refresh"), size="sm", elem_id="ft-refresh"),
                                "ft_refresh", "value")
            c.ft_upload = c.tr(gr.File(file_types=[".jsonl", ".json", ".txt"], label=t(language, "ft_upload"),
                                       elem_id="ft-upload", height=150), "ft_upload")
            c.ft_upload_report = gr.Markdown(elem_id="ft-upload-report")
            c.ft_tool_use = c.tr(gr.Number(0, precision=0, minimum=0, label=t(language, "ft_tool_use"),
                                           elem_id="ft-tool-use"), "ft_tool_use")
            c.ft_clean = c.tr(gr.Checkbox(False, label=t(language, "ft_clean"), elem_id="ft-clean"), "ft_clean")
            c.ft_mix = c.tr(gr.Dataframe(interactive=False, label=t(language, "ft_mix"), elem_id="ft-mix",
                                         max_height=220), "ft_mix")
        with gr.Column(min_width=240):
            c.ft_recipe_title = c.tr(gr.Markdown(t(language, "ft_recipe")), "ft_recipe", "value")
            c.ft_name = c.tr(gr.Textbox(label=t(language, "ft_name"), placeholder=finetune.default_name(),
                                        max_lines=1, elem_id="ft-name"), "ft_name")
            c.ft_base = c.tr(gr.Dropdown(finetune.BASE_MODELS, value=finetune.BASE_MODELS[0], allow_custom_value=True,
                                         label=t(language, "ft_base"), elem_id="ft-base"), "ft_base")
            c.ft_method = c.tr(gr.Radio(finetune.METHODS, value="lora", label=t(language, "ft_method"),
                                        elem_id="ft-method"), "ft_method")
            with gr.Row():
                c.ft_epochs = c.tr(gr.Number(3, minimum=0.01, label=t(language, "ft_epochs"), elem_id="ft-epochs"),
                                   "ft_epochs")
                c.ft_max_steps = c.tr(gr.Number(0, precision=0, minimum=0, label=t(language, "ft_max_steps"),
                                                elem_id="ft-max-steps"), "ft_max_steps")
            with gr.Row():
                c.ft_max_length = c.tr(gr.Number(1024, precision=0, minimum=16, label=t(language, "ft_max_length"),
                                                 elem_id="ft-max-length"), "ft_max_length")
                c.ft_lora_r = c.tr(gr.Number(16, precision=0, minimum=1, label=t(language, "ft_lora_r"),
                                             elem_id="ft-lora-r"), "ft_lora_r")
            c.ft_lr = c.tr(gr.Number(2e-4, minimum=0, label=t(language, "ft_lr"), elem_id="ft-lr"), "ft_lr")
            c.ft_estimate = c.tr(gr.Button(t(language, "ft_estimate"), elem_id="ft-estimate"), "ft_estimate", "value")
        with gr.Column(scale=2, min_width=360):
            c.ft_train_title = c.tr(gr.Markdown(t(language, "ft_train")), "ft_train", "value")
            with gr.Row():
                c.ft_start = c.tr(gr.Button(t(language, "ft_start"), variant="primary", elem_id="ft-start"),
                                  "ft_start", "value")
                c.ft_stop = c.tr(gr.Button(t(language, "ft_stop"), variant="stop", elem_id="ft-stop",
                                           interactive=False), "ft_stop", "value")
                c.ft_resume = c.tr(gr.Button(t(language, "ft_resume"), elem_id="ft-resume", interactive=False),
                                   "ft_resume", "value")
            c.ft_status = gr.Markdown(elem_id="ft-status")
            with gr.Row():
                c.ft_use = c.tr(gr.Button(t(language, "ft_use"), variant="primary", visible=False, elem_id="ft-use"),
                                "ft_use", "value")
                c.ft_api_default = c.tr(gr.Checkbox(False, label=t(language, "ft_api_default"), visible=False,
                                                    elem_id="ft-api-default"), "ft_api_default")
                c.ft_export = c.tr(gr.Button(t(language, "ft_export"), visible=False, elem_id="ft-export"),
                                   "ft_export", "value")
            c.ft_downloads = c.tr(gr.File(label=t(language, "ft_downloads"), file_count="multiple", interactive=False,
                                          visible=False, elem_id="ft-downloads"), "ft_downloads")
            c.ft_loss = c.tr(gr.LinePlot(finetune.loss_frame([]), x="step", y="loss", color="series",
                                         label=t(language, "ft_loss"), elem_id="ft-loss", height=260), "ft_loss")
            c.ft_timer = gr.Timer(2.0)
            c.ft_shown = gr.State(None)
    c.ft_eval_title = c.tr(gr.Markdown(t(language, "ft_eval")), "ft_eval", "value")
    with gr.Row(equal_height=True):
        c.ft_bench = c.tr(gr.Dropdown(finetune.EVAL_BENCHES, value=finetune.EVAL_BENCHES[0],
                                      label=t(language, "ft_bench"), elem_id="ft-bench", scale=2), "ft_bench")
        c.ft_limit = c.tr(gr.Number(40, precision=0, minimum=1, label=t(language, "ft_limit"), elem_id="ft-limit",
                                    scale=1), "ft_limit")
        c.ft_evaluate = c.tr(gr.Button(t(language, "ft_evaluate"), elem_id="ft-evaluate", interactive=False,
                                       scale=1), "ft_evaluate", "value")
    with gr.Row(equal_height=False):
        with gr.Column(scale=3):
            c.ft_eval_table = gr.Dataframe(interactive=False, elem_id="ft-eval-table", wrap=True)
            c.ft_eval_paired = gr.Markdown(elem_id="ft-eval-paired")
            c.ft_failures = c.tr(gr.Dataframe(interactive=False, label=t(language, "ft_failures"),
                                              elem_id="ft-failures", wrap=True, max_height=300), "ft_failures")
        with gr.Column(scale=2):
            c.ft_eval_chart = c.tr(gr.BarPlot(finetune.category_frame([]), x="category", y="accuracy", color="model",
                                              label=t(language, "ft_eval_chart"), elem_id="ft-eval-chart",
                                              height=300), "ft_eval_chart")


def _header(c: Components, language: str) -> None:
    with gr.Row(equal_height=True):
        c.header = c.tr(gr.Markdown(t(language, "title"), elem_classes="lingxi-header"), "title", "value")
        c.language_choice = c.tr(gr.Radio(LANGUAGES, value=language, label=t(language, "language"),
                                          show_label=False, container=False, elem_id="language", scale=0,
                                          min_width=200), "language")


def _sessions_column(c: Components, language: str, services: Services) -> None:
    c.new_chat = c.tr(gr.Button(t(language, "new_chat"), variant="primary", elem_id="new-chat"), "new_chat", "value")
    c.sessions = c.tr(gr.Radio(choices=services.session_choices(), value=None, label=t(language, "sessions"),
                               elem_id="sessions"), "sessions")
    c.title_box = c.tr(gr.Textbox(label=t(language, "title_box"), elem_id="title-box", max_lines=1), "title_box")
    with gr.Row():
        c.rename = c.tr(gr.Button(t(language, "rename"), size="sm", elem_id="rename"), "rename", "value")
        c.delete = c.tr(gr.Button(t(language, "delete"), size="sm", variant="stop", elem_id="delete"),
                        "delete", "value")


def _chat_column(c: Components, language: str) -> None:
    c.chatbot = gr.Chatbot(label=t(language, "chat"), elem_id="chat", height=560, editable="user",
                           feedback_options=("Like", "Dislike"), buttons=["copy", "copy_all"],
                           layout="bubble", autoscroll=True)
    with gr.Row(equal_height=True):
        c.box = c.tr(gr.MultimodalTextbox(placeholder=t(language, "placeholder"), show_label=False, scale=8,
                                          lines=1, max_lines=6, elem_id="input", autofocus=True, submit_btn=False,
                                          file_types=["image", "audio"], file_count="multiple",
                                          sources=["upload", "microphone"]), "placeholder", "placeholder")
        c.send = c.tr(gr.Button(t(language, "send"), variant="primary", scale=1, min_width=80, elem_id="send"),
                      "send", "value")
    with gr.Row():
        c.stop = c.tr(gr.Button(t(language, "stop"), size="sm", variant="stop", elem_id="stop"), "stop", "value")
        c.regenerate = c.tr(gr.Button(t(language, "regenerate"), size="sm", elem_id="regenerate"),
                            "regenerate", "value")
        c.clear = c.tr(gr.Button(t(language, "clear"), size="sm", elem_id="clear"), "clear", "value")


def _settings_tab(c: Components, language: str, services: Services) -> None:
    c.model = gr.Dropdown(models.choices(services, language), value=DEFAULT, label=t(language, "model"),
                          elem_id="model")
    with gr.Group(visible=False) as c.endpoint:
        c.endpoint_url = c.tr(gr.Textbox(label=t(language, "endpoint_url"), placeholder="http://127.0.0.1:23333/v1",
                                         elem_id="endpoint-url"), "endpoint_url")
        c.endpoint_model = c.tr(gr.Textbox(label=t(language, "endpoint_model"), elem_id="endpoint-model"),
                                "endpoint_model")
        c.endpoint_key = c.tr(gr.Textbox(label=t(language, "endpoint_key"), type="password"), "endpoint_key")
        c.load_model = c.tr(gr.Button(t(language, "load_model"), size="sm", elem_id="load-model"),
                            "load_model", "value")
    c.model_status = gr.Markdown(t(language, "model_status", name=services.engines.default.name),
                                 elem_id="model-status")
    servers = services.tool_sources.mcp if services.tool_sources else None
    c.tools = c.tr(gr.CheckboxGroup(tool_servers.tool_choices(services.registry, servers),
                                    value=services.registry.default_names(),
                                    label=t(language, "tools"), elem_id="tools"), "tools")
    with c.tr(gr.Accordion(t(language, "mcp"), open=False, elem_id="mcp"), "mcp"):
        _mcp_panel(c, language, services)
    c.protocol = gr.Radio(_protocols(language), value="native", label=t(language, "protocol"), elem_id="protocol")
    c.system = c.tr(gr.Textbox(label=t(language, "system_prompt"), lines=2, elem_id="system"), "system_prompt")
    c.temperature = c.tr(gr.Slider(0, 2, value=0.2, step=0.05, label=t(language, "temperature"),
                                   elem_id="temperature"), "temperature")
    c.max_steps = c.tr(gr.Slider(1, 20, value=6, step=1, label=t(language, "max_steps"), elem_id="max-steps"),
                       "max_steps")


def _protocols(language: str) -> list[tuple[str, str]]:
    return [(t(language, "protocol_native"), "native"), (t(language, "protocol_react"), "react")]


def _knowledge_tab(c: Components, language: str) -> None:
    c.upload = c.tr(gr.File(file_count="multiple", file_types=[".txt", ".md", ".pdf"], label=t(language, "upload"),
                            elem_id="upload", height=120), "upload")
    c.kb_status = gr.Markdown(elem_id="kb-status")
    c.documents = gr.Dataframe(headers=["", "", ""], interactive=False, label=t(language, "documents"),
                               elem_id="documents", wrap=True)
    with gr.Row(equal_height=True):
        c.remove_choice = c.tr(gr.Dropdown([], label=t(language, "remove_choice"), elem_id="remove-choice",
                                           scale=3), "remove_choice")
        c.remove = c.tr(gr.Button(t(language, "remove_doc"), size="sm", variant="stop", elem_id="remove-doc",
                                  scale=1), "remove_doc", "value")


def _data_tab(c: Components, language: str) -> None:
    c.data_help = c.tr(gr.Markdown(t(language, "data_help")), "data_help", "value")
    c.export_chat = c.tr(gr.Button(t(language, "export_chat"), elem_id="export-chat"), "export_chat", "value")
    c.export_liked = c.tr(gr.Button(t(language, "export_liked"), elem_id="export-liked"), "export_liked", "value")
    c.export_status = gr.Markdown(elem_id="export-status")
    c.export_file = c.tr(gr.File(label=t(language, "export_file"), interactive=False, elem_id="export-file"),
                         "export_file")


def _mcp_panel(c: Components, language: str, services: Services) -> None:
    c.mcp_help = c.tr(gr.Markdown(t(language, "mcp_help")), "mcp_help", "value")
    c.mcp_status = gr.Markdown(tool_servers.server_table(services, language), elem_id="mcp-status")
    c.mcp_refresh = c.tr(gr.Button(t(language, "mcp_refresh"), size="sm", elem_id="mcp-refresh"),
                         "mcp_refresh", "value")
    c.mcp_name = c.tr(gr.Textbox(label=t(language, "mcp_name"), max_lines=1, elem_id="mcp-name"), "mcp_name")
    c.mcp_target = c.tr(gr.Textbox(label=t(language, "mcp_target"), max_lines=1, elem_id="mcp-target",
                                   placeholder="npx -y @modelcontextprotocol/server-everything"), "mcp_target")
    c.mcp_args = c.tr(gr.Textbox(label=t(language, "mcp_args"), max_lines=1, elem_id="mcp-args"), "mcp_args")
    c.mcp_add = c.tr(gr.Button(t(language, "mcp_add"), variant="primary", size="sm", elem_id="mcp-add"),
                     "mcp_add", "value")
    with gr.Row(equal_height=True):
        c.mcp_remove_choice = c.tr(gr.Dropdown(tool_servers.server_names(services), label=t(language, "mcp_remove_choice"),
                                               elem_id="mcp-remove-choice", scale=3), "mcp_remove_choice")
        c.mcp_remove = c.tr(gr.Button(t(language, "mcp_remove"), size="sm", variant="stop", elem_id="mcp-remove",
                                      scale=1), "mcp_remove", "value")


def _wire_language(c: Components, services: Services) -> None:
    translated = list(c.translated)

    def switch(language, session_id, engine_key):
        updates = [gr.update(**{prop: t(language, key)}) for _, key, prop in translated]
        chatbot, anchors = sessions.stored_view(services, session_id, language, label=t(language, "chat"))
        return (language, *updates, chatbot, anchors,
                gr.Dropdown(choices=models.choices(services, language), label=t(language, "model")),
                t(language, "model_status", name=services.engines.name(engine_key)),
                gr.Radio(choices=_protocols(language), label=t(language, "protocol")),
                knowledge.document_table(services.knowledge, language),
                tool_servers.server_table(services, language))

    outputs = [c.language, *[component for component, _, _ in translated], c.chatbot, c.anchors, c.model,
               c.model_status, c.protocol, c.documents, c.mcp_status]
    c.language_choice.input(switch, [c.language_choice, c.session_id, c.engine_key], outputs)
