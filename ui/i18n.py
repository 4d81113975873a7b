"""Every piece of interface text, in English and Chinese: one table, looked up with `t()`."""
from __future__ import annotations

from typing import Literal

Language = Literal["en", "zh"]
LANGUAGES: list[tuple[str, Language]] = [("English", "en"), ("中文", "zh")]

TEXT: dict[str, tuple[str, str]] = {
    # the page
    "title": ("## Lingxi · a local assistant that uses tools",
              "## 灵犀 · 会用工具的本地助手"),
    "language": ("Language", "界面语言"),
    # chat
    "chat": ("Chat", "对话"),
    "placeholder": ("Ask anything, or about your documents… (Enter sends)",
                    "随便问，也可以问你的文档…（回车发送）"),
    "send": ("Send", "发送"),
    "stop": ("Stop", "停止"),
    "regenerate": ("Regenerate", "重新生成"),
    "clear": ("Clear", "清空"),
    # conversations
    "sessions": ("Conversations", "会话"),
    "new_chat": ("New chat", "新对话"),
    "title_box": ("Title of this conversation", "当前会话标题"),
    "rename": ("Rename", "重命名"),
    "delete": ("Delete", "删除"),
    "untitled": ("New chat", "新对话"),
    # settings
    "settings": ("Settings", "设置"),
    "model": ("Model", "模型"),
    "model_default": ("Default: {name}", "默认：{name}"),
    "model_bundled": ("Bundled: SmolLM2-135M-Instruct", "内置：SmolLM2-135M-Instruct"),
    "model_adapter": ("Bundled + adapter: {name}", "内置 + 适配器：{name}"),
    "model_remote": ("OpenAI-compatible endpoint (e.g. LMDeploy)", "兼容 OpenAI 的接口（如 LMDeploy）"),
    "endpoint_url": ("Endpoint URL", "接口地址"),
    "endpoint_model": ("Model name (empty: the endpoint's first)", "模型名（留空：取接口的第一个）"),
    "endpoint_key": ("API key (optional)", "API 密钥（可选）"),
    "load_model": ("Load model", "加载模型"),
    "model_status": ("Model in use: **{name}**", "当前模型：**{name}**"),
    "model_loaded": ("Model ready: **{name}** (loaded in {seconds:.1f} s)", "模型就绪：**{name}**（加载用时 {seconds:.1f} 秒）"),
    "model_loading": ("Loading {name}…", "正在加载 {name}…"),
    "model_load_failed": ("Could not load the model: {error}", "模型加载失败：{error}"),
    "tools": ("Tools the agent may use", "可用工具"),
    "protocol": ("Agent protocol", "智能体协议"),
    "protocol_native": ("Native tool calls", "原生工具调用"),
    "protocol_react": ("ReAct (thought, action)", "ReAct（思考—行动）"),
    "system_prompt": ("System prompt", "系统提示词"),
    "temperature": ("Temperature", "温度"),
    "max_steps": ("Step limit", "步数上限"),
    # knowledge base
    "knowledge": ("Knowledge", "知识库"),
    "upload": ("Add .txt / .md / .pdf files", "添加 .txt / .md / .pdf 文件"),
    "documents": ("Documents", "文档"),
    "doc_source": ("Document", "文档"),
    "doc_chunks": ("Chunks", "片段数"),
    "doc_pages": ("Pages", "页数"),
    "remove_choice": ("Document to remove", "要移除的文档"),
    "remove_doc": ("Remove", "移除"),
    "ingested": ("Added **{source}**: {chunks} chunks", "已添加 **{source}**：{chunks} 个片段"),
    "ingest_failed": ("Could not add **{source}**: {error}", "无法添加 **{source}**：{error}"),
    "ingesting": ("Reading {source}…", "正在读取 {source}…"),
    "removed": ("Removed **{source}** ({chunks} chunks)", "已移除 **{source}**（{chunks} 个片段）"),
    "kb_failed": ("The knowledge base failed: {error}", "知识库出错：{error}"),
    "kb_reindex": ("⚠ These documents were indexed with **{model}**, which reads English only. Run "
                   "`lingxi kb reindex` to re-index them for Chinese and cross-lingual search (nothing is lost).",
                   "⚠ 这些文档是用 **{model}** 建的索引，它只读得懂英文。运行 `lingxi kb reindex` 重建索引，"
                   "即可用中文和跨语言检索（文档不会丢失）。"),
    "kb_reindex_sentences": ("⚠ These documents were indexed before Lingxi also searched their single sentences, so "
                             "a question about one detail of a long note may miss it. Run `lingxi kb reindex` to "
                             "add them (nothing is lost).",
                             "⚠ 这些文档建索引时，灵犀还不会逐句检索，问长笔记里的某个细节可能找不到。运行 "
                             "`lingxi kb reindex` 重建索引即可（文档不会丢失）。"),
    # MCP servers (tools from other programs)
    "mcp": ("Tools from MCP servers", "来自 MCP 服务器的工具"),
    "mcp_help": ("Tools from other programs over the Model Context Protocol. Servers are kept in "
                 "`$LINGXI_HOME/mcp.json` (the `mcpServers` shape of Claude Desktop and Cursor); their tools "
                 "join the tools list in Settings.",
                 "通过模型上下文协议（MCP）使用其他程序的工具。服务器记录在 `$LINGXI_HOME/mcp.json`"
                 "（与 Claude Desktop、Cursor 相同的 `mcpServers` 格式）；其工具会加入“设置”中的工具列表。"),
    "mcp_none": ("No MCP server configured.", "尚未配置 MCP 服务器。"),
    "mcp_connected": ("connected", "已连接"),
    "mcp_connecting": ("connecting…", "连接中…"),
    "mcp_failed": ("failed", "失败"),
    "mcp_closed": ("closed", "已关闭"),
    "mcp_invalid": ("invalid entry", "配置有误"),
    "mcp_starting": ("Starting {name}…", "正在启动 {name}…"),
    "mcp_tools": ("Tools: {tools}", "工具：{tools}"),
    "mcp_error": ("Why: {error}", "原因：{error}"),
    "mcp_refresh": ("Refresh", "刷新"),
    "mcp_name": ("Server name", "服务器名称"),
    "mcp_target": ("Command to launch, or http(s) URL", "启动命令，或 http(s) 地址"),
    "mcp_args": ("More arguments (optional)", "其他参数（可选）"),
    "mcp_add": ("Add server", "添加服务器"),
    "mcp_add_failed": ("Could not add the server: {error}", "无法添加服务器：{error}"),
    "mcp_remove_choice": ("Server to remove", "要移除的服务器"),
    "mcp_remove": ("Remove", "移除"),
    # training data
    "data": ("Data", "数据"),
    "data_help": ("Rate answers with the thumbs under each answer. Exports are OpenAI-messages JSONL "
                  "(with the tools that were on), ready for fine-tuning with `lingxi train`.",
                  "用每条回答下方的赞 / 踩评价回答。导出为 OpenAI messages 格式的 JSONL（含启用的工具），"
                  "可直接用 `lingxi train` 微调。"),
    "export_chat": ("Export this conversation", "导出当前会话"),
    "export_liked": ("Export all liked answers", "导出所有点赞的回答"),
    "export_file": ("Training data (JSONL)", "训练数据（JSONL）"),
    "exported": ("Wrote {count} example(s) to `{path}`", "已写入 {count} 条样本：`{path}`"),
    "nothing_to_export": ("Nothing to export yet.", "暂无可导出的内容。"),
    "rated": ("Feedback saved.", "已保存评价。"),
    # fine-tune tab
    "ft_tab_chat": ("Chat", "对话"),
    "ft_tab": ("Fine-tune", "微调"),
    "ft_help": ("Train your own adapter of the bundled model on the answers you liked, a file of your own, or "
                "Lingxi's tool-use examples. Training runs in the background: closing this page or restarting "
                "the app does not stop it.",
                "用你点赞的回答、你自己的数据文件或灵犀的工具调用样例，为内置模型训练你自己的适配器。训练在后台运行："
                "关闭页面或重启应用都不会中断它。"),
    "ft_data": ("### 1 · Data", "### 1 · 数据"),
    "ft_use_liked": ("Liked conversations", "点赞的对话"),
    "ft_no_liked": ("No liked answers yet: rate answers with the thumbs under them.",
                    "还没有点赞的回答：用回答下方的赞 / 踩评价。"),
    "ft_liked_count": ("**{count}** liked conversation(s), for example:", "共 **{count}** 段点赞的对话，例如："),
    "ft_refresh": ("Refresh", "刷新"),
    "ft_upload": ("Your data (OpenAI JSONL, ShareGPT, Alpaca, text)", "你的数据（OpenAI JSONL、ShareGPT、Alpaca、纯文本）"),
    "ft_upload_summary": ("**{name}** ({format}): {examples} usable of {records} records, {calls} tool calls",
                          "**{name}**（{format}）：{records} 条记录中 {examples} 条可用，含 {calls} 次工具调用"),
    "ft_upload_problems": ("{count} problem(s), fix them and upload again:", "发现 {count} 处问题，请修正后重新上传："),
    "ft_line": ("line {line}: ", "第 {line} 行："),
    "ft_more_problems": ("…and {count} more", "……另有 {count} 处"),
    "ft_upload_unreadable": ("Cannot read this file: {error}", "无法读取该文件：{error}"),
    "ft_bad_upload": ("The uploaded file has problems (see the list): fix it or remove it first.",
                      "上传的文件有问题（见列表）：请先修正或移除。"),
    "ft_bad_name": ("A run name uses letters, digits, '.', '_' and '-' (it becomes a folder).",
                    "训练名称只能包含字母、数字、“.”、“_”和“-”（它会成为文件夹名）。"),
    "ft_no_data": ("Pick some data first: liked conversations, a file, or tool-use examples.",
                   "请先选择数据：点赞的对话、数据文件或工具调用样例。"),
    "ft_tool_use": ("Lingxi's tool-use examples per kind (0: none)", "灵犀工具调用样例，每类条数（0 为不用）"),
    "ft_clean": ("Clean the data first (duplicates, test leakage, length, language)",
                 "训练前清洗数据（去重、测试集泄漏、长度、语言）"),
    "ft_mix": ("The mix (measured by Estimate)", "数据构成（由“估算”得出）"),
    "ft_col_source": ("Source", "来源"),
    "ft_col_examples": ("Examples", "条数"),
    "ft_col_share": ("Share", "占比"),
    "ft_recipe": ("### 2 · Recipe", "### 2 · 配方"),
    "ft_base": ("Base model (bundled, a .gguf, a Hugging Face folder or id)",
                "基座模型（bundled、.gguf 文件、Hugging Face 目录或模型 ID）"),
    "ft_estimate": ("Estimate time and memory (runs a few real steps)", "估算时间和内存（实测几步）"),
    "ft_estimating": ("measuring a few steps", "正在实测几步"),
    "ft_estimated": ("estimate", "估算"),
    "ft_estimate_result": ("**About {time}** for {steps} steps on this machine ({per_step:.2f} s a step, measured "
                           "over {measured} steps, plus {load:.0f} s to load) · peak memory **{memory}** · "
                           "{examples} examples, {tokens} tokens ({loss_tokens} learned from)",
                           "在本机约需 **{time}**，共 {steps} 步（实测 {measured} 步，每步 {per_step:.2f} 秒，"
                           "另加载 {load:.0f} 秒）· 峰值内存 **{memory}** · {examples} 条样例，"
                           "{tokens} 个 token（其中 {loss_tokens} 个计入损失）"),
    "ft_ram_floor": ("at least {gb:.2f} GB RAM (a CPU run's resident memory grows as it goes on)",
                     "至少 {gb:.2f} GB 内存（CPU 上训练越久常驻内存越大）"),
    "ft_dropped": ("Left out before training: {what}", "训练前剔除：{what}"),
    "ft_name": ("Run name", "训练名称"),
    "ft_method": ("Method", "方法"),
    "ft_epochs": ("Epochs", "轮数"),
    "ft_max_length": ("Max length (tokens)", "最大长度（token）"),
    "ft_lr": ("Learning rate", "学习率"),
    "ft_lora_r": ("LoRA rank", "LoRA 秩"),
    "ft_max_steps": ("Max steps (0: by epochs)", "最大步数（0 为按轮数）"),
    "ft_bad_recipe": ("Recipe not valid: {error}", "配方无效：{error}"),
    "ft_train": ("### 3 · Train", "### 3 · 训练"),
    "ft_start": ("Start training", "开始训练"),
    "ft_stop": ("Stop", "停止"),
    "ft_resume": ("Resume", "继续"),
    "ft_loss": ("Loss", "损失"),
    "ft_no_job": ("No training job yet.", "还没有训练任务。"),
    "ft_running": ("training", "训练中"),
    "ft_finished": ("finished", "已完成"),
    "ft_failed": ("failed", "失败"),
    "ft_stopped": ("stopped", "已停止"),
    "ft_progress": ("step {step}/{total} · loss {loss:.4f} · {speed:.0f} tokens/s · {eta} left",
                    "第 {step}/{total} 步 · 损失 {loss:.4f} · {speed:.0f} token/s · 剩余 {eta}"),
    "ft_progress_done": ("step {step}/{total} · loss {loss:.4f} · {speed:.0f} tokens/s",
                         "第 {step}/{total} 步 · 损失 {loss:.4f} · {speed:.0f} token/s"),
    "ft_use": ("Chat with it", "用它对话"),
    "ft_nothing_to_use": ("No finished adapter yet.", "还没有训练完成的适配器。"),
    "ft_api_default": ("Also make it the API's default", "同时设为 API 的默认模型"),
    "ft_default_now": ("**{name}** is now the default: of this app's API (/v1), of chats on the default model, and of "
                       "`lingxi serve` and the app at their next start.",
                       "**{name}** 现在是默认模型：本应用的 API（/v1）、使用默认模型的对话，以及之后启动的 "
                       "`lingxi serve` 和应用都会用它。"),
    "ft_default_later": ("**{name}** is now the default of chats on the default model, and of `lingxi serve` and the "
                         "app at their next start.",
                         "**{name}** 现在是使用默认模型的对话的默认模型，之后启动的 `lingxi serve` 和应用也会用它。"),
    "ft_export": ("Prepare downloads (peft, merged GGUF)", "准备下载（peft、合并后的 GGUF）"),
    "ft_downloads": ("Downloads", "下载"),
    "ft_exporting": ("preparing downloads (merging, quantizing, checking accuracy)", "正在准备下载（合并、量化、检查精度）"),
    "ft_exported": ("downloads ready", "下载已就绪"),
    "ft_export_gated": ("Merged GGUF: **{type}** ({size:.0f} MB), the smallest type whose accuracy stayed within "
                        "{drop} points of the unquantized model (refused: {refused}).",
                        "合并后的 GGUF：**{type}**（{size:.0f} MB），是精度下降不超过 {drop} 个百分点的最小类型"
                        "（未通过：{refused}）。"),
    "ft_export_none": ("No quantized type stayed within {drop} points of the unquantized model (refused: {refused}); "
                       "no merged GGUF is offered.",
                       "没有量化类型的精度下降在 {drop} 个百分点以内（未通过：{refused}），因此不提供合并后的 GGUF。"),
    "ft_eval": ("### 4 · Evaluate", "### 4 · 评测"),
    "ft_bench": ("Benchmark (validation split first: choose there, report on test)",
                 "评测集（先用验证集做选择，测试集只用于报告）"),
    "ft_limit": ("Items", "题数"),
    "ft_evaluate": ("Evaluate against the base and the default", "与基座和默认模型对比评测"),
    "ft_evaluating": ("evaluating", "评测中"),
    "ft_eval_chart": ("Accuracy by kind", "各类准确率"),
    "ft_failures": ("Items the new adapter got wrong", "新适配器答错的题目"),
    "ft_col_model": ("Model", "模型"),
    "ft_col_accuracy": ("Accuracy", "准确率"),
    "ft_col_interval": ("95% interval", "95% 区间"),
    "ft_col_items": ("Items", "题数"),
    "ft_col_en": ("English", "英文"),
    "ft_col_zh": ("Chinese", "中文"),
    "ft_col_category": ("Kind", "类别"),
    "ft_col_error": ("Error", "错误"),
    "ft_col_detail": ("Detail", "详情"),
    "ft_paired": ("**{name}** against the base, item by item ({items} items): right only with the adapter "
                  "{wins}, only without it {losses}; sign test p = {p:.2f}.",
                  "**{name}** 与基座逐题对比（{items} 题）：只有适配器答对 {wins} 题，只有基座答对 {losses} 题；"
                  "符号检验 p = {p:.2f}。"),
    "ft_adapter": ("Adapter: `{path}`", "适配器：`{path}`"),
    # what the chat shows for agent steps and failures
    "tool_step": ("Tool · {name}", "工具 · {name}"),
    "tool_failed": ("Tool · {name} (failed)", "工具 · {name}（失败）"),
    "arguments": ("Arguments", "参数"),
    "result": ("Result", "结果"),
    "running": ("running…", "运行中…"),
    "thought": ("Thought", "思考"),
    "format_error": ("Format error, shown to the model", "格式错误（已反馈给模型）"),
    "loop_stopped": ("Reply stopped: it kept repeating itself (shown to the model)", "回复不断重复，已停止（已反馈给模型）"),
    "model_failed": ("⚠ The model failed: {error}", "⚠ 模型出错：{error}"),
    "internal_error": ("⚠ Something went wrong: {error}. The conversation is saved; try again.",
                       "⚠ 出错了：{error}。会话已保存，请重试。"),
    "step_limit": ("⚠ Stopped after {steps} steps without a final answer.", "⚠ 已达 {steps} 步上限，未得出最终回答。"),
    "busy": ("An answer is still being written: wait, or press Stop.", "正在生成回答：请稍候，或点击停止。"),
    "unusable_text": ("Not sent: character {position} of the {field} is {code}, which no model can read "
                      "(a NUL or an unpaired surrogate). Remove it and send again.",
                      "未发送：{field}的第 {position} 个字符是 {code}（空字符或孤立代理字符），模型无法读取。请删除后重新发送。"),
    "field_message": ("message", "消息"),
    "field_system": ("system prompt", "系统提示词"),
    "no_session": ("Start a conversation first.", "请先开始一段对话。"),
}


def t(language: str, key: str, **fields) -> str:
    """The text for `key` in `language` ("en" or "zh"), with `fields` filled in."""
    english, chinese = TEXT[key]
    text = chinese if language == "zh" else english
    return text.format(**fields) if fields else text
