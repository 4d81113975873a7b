"""Forced tool calls at temperature 1.0 on adversarial schemas, through the real serving path.

Lingxi promises that a call forced through `tool_choice` ("required", or a named function) always
parses with its required arguments: the engine decodes it under a grammar built from the tool's
schema (model/call_schema.py, model/engines/gbnf.py). This bench puts that to the test with
hand-written schemas that stress the grammar (nested objects, enums with Chinese and numeric
values, arrays of objects, bounds, nullable types, anyOf/oneOf, const, patterns, $defs/$ref with a
recursive tree, additionalProperties false, no parameters at all, punctuated names, Chinese
property names, descriptions that bait markup), one English and one Chinese request each.

Calls go round-robin over schema x language x tool_choice, each with its own seed. Each result is
checked: one tool call and no text, the forced name, the required (top-level) arguments present,
the arguments valid against the tool's own schema (jsonschema Draft 2020-12, `$ref` resolved within
the schema; `format` is an annotation there, so it is not asserted), and no chat markup inside any
argument string or key. Prints the overall counts, tables by feature tag, language and
tool_choice, the first failures with their raw text, tokens/s and the wall time. Where the grammar
cannot hold a bound (numbers), the engine samples a call outside its schema again (a few tries,
model/engines/base.py): a call's tokens and seconds include those tries.

    .venv/bin/python bench/forced_calls.py [--calls 1000] [--json PATH]
    .venv/bin/python bench/forced_calls.py --calls 40 --limit-schemas 5      # smoke run
    python bench/forced_calls.py --engine lmdeploy --model HF_FOLDER --adapter none   # on a GPU
"""
from __future__ import annotations

import argparse
import copy
import json
import signal
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from model.errors import ModelError  # noqa: E402
from model.types import ChatRequest, ChatResult, SamplingParams, ToolSchema, Usage  # noqa: E402

MARKUP = ("<tool_call>", "</tool_call>", "<|im_start|>", "<|im_end|>", "<|endoftext|>")
"""Markup that must never appear inside a forced call's argument strings."""
LANGUAGES = ("en", "zh")
MODES = ("required", "named")
EMPTY_PARAMETERS = {"type": "object", "properties": {}}
CHECKS = ("parsed", "name_ok", "required_present", "schema_valid", "markup_free", "ok")


@dataclass(frozen=True)
class AdversarialTool:
    """One tool schema of the bench, what it stresses, and a request for it in each language."""

    tool: ToolSchema
    tags: tuple[str, ...]
    requests: dict[str, str]

    @property
    def name(self) -> str:
        return self.tool["function"]["name"]


def _tool(name: str, description: str, parameters: dict | None, tags: str, en: str, zh: str) -> AdversarialTool:
    function: dict[str, Any] = {"name": name, "description": description}
    if parameters is not None:
        function["parameters"] = parameters
    return AdversarialTool({"type": "function", "function": function}, tuple(tags.split()), {"en": en, "zh": zh})


def _obj(properties: dict, required: list[str] | None = None, closed: bool = False, **more) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **more}
    if required:
        schema["required"] = required
    if closed:
        schema["additionalProperties"] = False
    return schema


def _str(max_length: int | None = None, **more) -> dict:
    return {"type": "string", **({"maxLength": max_length} if max_length else {}), **more}


def _int(low: int | None = None, high: int | None = None, **more) -> dict:
    bounds = {key: value for key, value in (("minimum", low), ("maximum", high)) if value is not None}
    return {"type": "integer", **bounds, **more}


_ADDRESS = _obj({"street": _str(40), "city": _str(20), "postcode": _str(pattern="^[0-9]{6}$"),
                 "country": {"enum": ["CN", "US", "DE"]}}, ["city", "country"])
_NODE = _obj({"label": _str(20), "weight": _int(0, 9),
              "children": {"type": "array", "items": {"$ref": "#/$defs/node"}, "maxItems": 3}},
             ["label"], closed=True)
_PHONE = _obj({"country_code": _int(1, 999), "number": _str(pattern="^[0-9]{6,12}$")}, ["country_code", "number"])


def _structured_tools() -> list[AdversarialTool]:
    return [
        _tool("book_flight", "Book a flight for one passenger.", _obj({
            "trip": _obj({"origin": _str(pattern="^[A-Z]{3}$", description="IATA code, e.g. PEK"),
                          "destination": _str(pattern="^[A-Z]{3}$"),
                          "dates": _obj({"depart": _str(format="date"),
                                         "return": {"type": ["string", "null"], "format": "date"}}, ["depart"])},
                         ["origin", "destination", "dates"]),
            "passenger": _obj({"name": _str(40), "contact": _obj({"email": _str(64, format="email"),
                                                                  "phone": _PHONE}, ["email"])},
                              ["name", "contact"])}, ["trip", "passenger"]),
              "nested pattern format nullable number-bounds",
              "Book me a flight from Beijing (PEK) to Shanghai (PVG) on 2026-12-20 for Li Wei, li.wei@example.com.",
              "帮李伟订一张2026年12月20日从北京(PEK)飞上海(PVG)的机票，邮箱 li.wei@example.com。"),
        _tool("set_thermostat", "Set the thermostat of one room.", _obj({
            "mode": {"type": "string", "enum": ["heat", "cool", "auto", "off"]},
            "fan_speed": {"type": "integer", "enum": [1, 2, 3, 5]},
            "target_celsius": {"enum": [18.5, 20, 22.5, 25]},
            "room": {"type": "string", "enum": ["客厅", "卧室", "厨房", "书房"]},
            "start": {"enum": ["now", 0, None]}}, ["mode", "room"]),
              "enum enum-number enum-chinese",
              "Heat the living room to 22.5 degrees with the fan on speed 2.",
              "把客厅的空调调成制热，22.5度，风速2档。"),
        _tool("create_invoice", "Create an invoice.", _obj({
            "customer_id": _int(1),
            "lines": {"type": "array", "minItems": 1, "maxItems": 4, "items": _obj({
                "sku": _str(pattern="^SKU-[0-9]{4}$"), "quantity": _int(1, 99),
                "unit_price": {"type": "number", "exclusiveMinimum": 0, "maximum": 10000}},
                ["sku", "quantity", "unit_price"], closed=True)},
            "notes": {"type": "array", "items": _str(30), "maxItems": 2},
            "currency": {"enum": ["CNY", "USD", "EUR"]}}, ["customer_id", "lines", "currency"]),
              "array-objects array-bounds pattern number-bounds exclusive-bounds enum no-additional",
              "Invoice customer 42 for 3 of SKU-0001 at 19.90 and 1 of SKU-0420 at 250, in CNY.",
              "给客户42开发票：SKU-0001 三件，单价19.90；SKU-0420 一件，单价250，人民币。"),
        _tool("set_alarm", "Set an alarm.", _obj({
            "hour": _int(0, 23), "minute": _int(0, 59),
            "volume": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
            "snooze_minutes": {"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 30},
            "repeat_weekdays": {"type": "boolean"}, "vibrate": {"type": "boolean"}},
            ["hour", "minute", "repeat_weekdays"]),
              "number-bounds exclusive-bounds boolean",
              "Wake me at 6:45 on weekdays, half volume, snooze 10 minutes.",
              "工作日早上6点45叫醒我，音量一半，贪睡10分钟。"),
        _tool("update_profile", "Update a user's profile; null clears a field.", _obj({
            "user_id": _int(1), "nickname": {"type": ["string", "null"], "maxLength": 20},
            "age": {"type": ["integer", "null"], "minimum": 0, "maximum": 150},
            "newsletter": {"type": ["boolean", "null"]}, "timezone": {"enum": ["Asia/Shanghai", "UTC", None]}},
            ["user_id", "nickname", "age"]),
              "nullable number-bounds enum",
              "For user 7, clear the nickname, set age to 31 and the timezone to Shanghai.",
              "把用户7的昵称清空，年龄改成31岁，时区设为上海。"),
        _tool("search_products", "Search the product catalogue.", _obj({
            "query": {"anyOf": [_str(50, minLength=1), _int(0, description="a product id")]},
            "max_price": {"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]},
            "filter": {"oneOf": [
                _obj({"kind": {"const": "category"}, "category": {"enum": ["books", "电子产品", "toys"]}},
                     ["kind", "category"], closed=True),
                _obj({"kind": {"const": "brand"}, "brand": _str(20)}, ["kind", "brand"], closed=True)]},
            "sort": {"oneOf": [{"const": "price_asc"}, {"const": "price_desc"}, {"const": "relevance"}]}},
            ["query", "filter"]),
              "anyOf oneOf const nullable enum-chinese",
              "Find wireless headphones in electronics under 300, cheapest first.",
              "在电子产品里搜无线耳机，300元以内，按价格从低到高。"),
    ]


def _schema_feature_tools() -> list[AdversarialTool]:
    return [
        _tool("api.v2.check-status", "Check the status of a backend service.", _obj({
            "api_version": {"const": "v2"}, "protocol": {"const": 3},
            "flags": {"const": {"verbose": True, "level": ["a", 1]}},
            "service": {"type": "string", "enum": ["auth", "billing", "search"]}},
            ["api_version", "protocol", "service"]),
              "const name-punct enum",
              "Is the billing service up?", "计费服务现在正常吗？"),
        _tool("register_user", "Register a new user account.", _obj({
            "username": _str(pattern="^[a-z][a-z0-9_]{2,15}$"), "email": _str(64, format="email"),
            "password": _str(32, minLength=8), "birthday": _str(format="date"),
            "invite_code": _str(pattern="^[A-Z0-9]{4}-[A-Z0-9]{4}$"), "display_name": _str(12, minLength=2)},
            ["username", "email", "password"]),
              "pattern format string-length",
              "Sign up zhang_san with zhang@example.com, password Tr0ub4dor&3, invite code AB12-CD34.",
              "注册用户 zhang_san，邮箱 zhang@example.com，密码 Tr0ub4dor&3，邀请码 AB12-CD34。"),
        _tool("render_tree", "Render a tree diagram.", _obj(
            {"root": {"$ref": "#/$defs/node"}, "layout": {"enum": ["vertical", "horizontal"]}}, ["root"],
            **{"$defs": {"node": _NODE}}),
              "ref recursive no-additional array-bounds",
              "Draw a tree: Animals with children Mammals (Dog, Cat) and Birds.",
              "画一棵树：动物，下面有哺乳动物（狗、猫）和鸟类。"),
        _tool("ship_package", "Ship a package between two addresses.", _obj({
            "sender": {"$ref": "#/$defs/address"},
            "recipient": {"$ref": "#/$defs/address", "description": "where it goes"},
            "weight_kg": {"$ref": "#/$defs/weight"}, "express": {"type": "boolean"}},
            ["sender", "recipient", "weight_kg"],
            **{"$defs": {"address": _ADDRESS,
                         "weight": {"type": "number", "exclusiveMinimum": 0, "maximum": 70}}}),
              "ref nested pattern exclusive-bounds",
              "Ship 2.5 kg express from Beijing 100000 CN to Berlin, DE.",
              "寄一个2.5公斤的快件，从北京(邮编100000，中国)寄到德国柏林。"),
        _tool("strict_config", "Write the server configuration.", _obj({
            "server": _obj({"host": _str(30), "port": _int(1, 65535),
                            "tls": _obj({"enabled": {"type": "boolean"}, "min_version": {"enum": ["1.2", "1.3"]}},
                                        ["enabled"], closed=True)}, ["host", "port"], closed=True),
            "log_level": {"enum": ["debug", "info", "warning", "error"]}}, ["server"], closed=True),
              "no-additional nested enum boolean number-bounds",
              "Serve on example.org port 8443 with TLS 1.3 only, log warnings.",
              "服务器用 example.org 的 8443 端口，只开 TLS 1.3，日志级别 warning。"),
        _tool("lookup_entity", "Look up a person or a company.", _obj({
            "entity": {"anyOf": [{"$ref": "#/$defs/person"}, {"$ref": "#/$defs/company"}]},
            "include_related": {"type": "boolean"}}, ["entity"], **{"$defs": {
                "person": _obj({"name": _str(30), "born": _int(1900, 2026)}, ["name"], closed=True),
                "company": _obj({"company_name": _str(30), "ticker": _str(pattern="^[A-Z]{1,5}$")},
                                ["company_name"], closed=True)}}),
              "anyOf ref no-additional pattern",
              "Look up the company Alibaba, ticker BABA.", "查一下阿里巴巴公司，股票代码 BABA。"),
        _tool("create_shape", "Draw a shape on the canvas.", _obj({
            "shape": {"oneOf": [
                _obj({"kind": {"const": "circle"}, "radius": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}},
                     ["kind", "radius"], closed=True),
                _obj({"kind": {"const": "rect"}, "width": _int(1, 1000), "height": _int(1, 1000)},
                     ["kind", "width", "height"], closed=True),
                _obj({"kind": {"const": "polygon"}, "points": {"type": "array", "minItems": 3, "maxItems": 6,
                      "items": _obj({"x": {"type": "number"}, "y": {"type": "number"}}, ["x", "y"], closed=True)}},
                     ["kind", "points"], closed=True)]},
            "color": _str(pattern="^#[0-9a-fA-F]{6}$")}, ["shape"]),
              "oneOf const array-objects array-bounds pattern no-additional",
              "Draw a red rectangle 200 wide and 100 high.", "画一个宽200、高100的红色矩形。"),
    ]


def _shape_tools() -> list[AdversarialTool]:
    optional = {"subtitle": _str(40), "author": _str(30), "date": _str(format="date"), "pages": _int(1, 500),
                "color": {"type": "boolean"}, "font": {"enum": ["serif", "sans", "mono"]}, "font_size": _int(6, 72),
                "margins_cm": {"type": "number", "minimum": 0, "maximum": 5}, "language": {"enum": ["zh", "en"]},
                "include_toc": {"type": "boolean"}, "include_index": {"type": "boolean"},
                "watermark": _str(20), "footer": _str(40), "header": _str(40), "paper": {"enum": ["A4", "Letter"]}}
    account = _str(pattern="^[0-9]{8,12}$")
    return [
        _tool("configure_report", "Lay out a report; every field but the title is optional.",
              _obj({"title": _str(40), **optional}, ["title"]),
              "many-optional",
              "Make a report titled Q3 Sales on A4 with a table of contents.",
              "生成一份标题为“第三季度销售”的报告，A4纸，带目录。"),
        _tool("transfer_funds", "Transfer money between two accounts.", _obj({
            "from_account": account, "to_account": account,
            "amount": {"type": "number", "exclusiveMinimum": 0, "maximum": 50000},
            "currency": {"enum": ["CNY", "USD"]}, "memo": _str(50)},
            ["from_account", "to_account", "amount", "currency", "memo"], closed=True),
              "required-only pattern exclusive-bounds no-additional",
              "Send 1200 yuan from account 62220001 to 62229999 for rent.",
              "从账户62220001转1200元到62229999，备注房租。"),
        _tool("get_server_time", "Return the server's current time.", None,
              "no-params", "What time is it on the server?", "服务器现在几点？"),
        _tool("refresh_cache", "Refresh the cache.",
              {"type": "object", "properties": {}, "additionalProperties": False},
              "no-params no-additional", "Please refresh the cache now.", "请立即刷新缓存。"),
        _tool("tag_resource", "Tag a resource; the label may be any JSON value.",
              {"type": "object", "properties": {"id": _int(1)}, "required": ["id", "label"]},
              "undeclared-required",
              "Tag resource 12 with the label urgent.", "给资源12打上“紧急”标签。"),
        _tool("weather.get-forecast_v2", "Weather forecast for a city.", _obj({
            "city": _str(30), "days": _int(1, 7), "units": {"enum": ["metric", "imperial"]}}, ["city"]),
              "name-punct",
              "What's the weather in Hangzhou for the next 3 days?", "杭州未来三天天气怎么样？"),
        _tool("set_coordinates", "Move the map to a position.", _obj({
            "lat": {"type": "number", "minimum": -90, "maximum": 90},
            "lon": {"type": "number", "minimum": -180, "maximum": 180},
            "altitude_m": {"type": "number", "exclusiveMinimum": -500},
            "zoom": _int(1, 20), "precision": {"type": "integer", "enum": [1, 10, 100]}}, ["lat", "lon"]),
              "number-bounds exclusive-bounds enum-number",
              "Center the map on Sydney, -33.87 latitude, 151.21 longitude, zoom 12.",
              "把地图移到悉尼，纬度-33.87，经度151.21，缩放12。"),
        _tool("batch_tasks", "Create several tasks at once.", _obj({
            "tasks": {"type": "array", "minItems": 2, "maxItems": 3, "items": _obj({
                "title": _str(30), "priority": {"enum": [1, 2, 3]},
                "due": {"type": ["string", "null"], "format": "date"},
                "assignee": _obj({"name": _str(20), "team": {"enum": ["研发", "市场", "销售"]}}, ["name"])},
                ["title", "priority", "due"])},
            "notify": {"type": "boolean"}}, ["tasks"]),
              "array-objects array-bounds nested enum-number enum-chinese nullable format",
              "Create two tasks: fix the login bug (priority 1, Wang from R&D) and write release notes.",
              "建两个任务：修复登录bug（优先级1，研发部小王负责）和写发布说明。"),
    ]


def _language_tools() -> list[AdversarialTool]:
    return [
        _tool("book_restaurant", "预订餐厅座位。", _obj({
            "城市": _str(10, description="餐厅所在城市"), "人数": _int(1, 20, description="用餐人数"),
            "日期": _str(format="date", description="用餐日期"), "时段": {"enum": ["午餐", "晚餐", "夜宵"]},
            "备注": {"type": "string", "description": "特殊要求，例如靠窗、儿童座椅"}}, ["城市", "人数", "时段"]),
              "chinese-names chinese-desc enum-chinese free-string",
              "Book dinner for 4 in Chengdu tomorrow, a window seat please.",
              "帮我订明天成都的晚餐，4个人，要靠窗的位置。"),
        _tool("translate_text", "把文本翻译成目标语言。", _obj({
            "text": {"type": "string", "description": "要翻译的原文"},
            "target": {"enum": ["中文", "English", "日本語", "Français"]},
            "formal": {"type": "boolean", "description": "是否使用正式语气"},
            "glossary": {"type": "object", "description": "术语表：原词 → 译词", "maxProperties": 5,
                         "additionalProperties": _str(20)}}, ["text", "target"]),
              "chinese-desc enum-chinese free-string boolean map",
              "Translate 'The meeting is moved to Friday' into Chinese, formally.",
              "把“会议改到周五了”翻译成英文，用正式语气。"),
        _tool("render_html", "Render an HTML snippet in the preview pane.", _obj({
            "html": {"type": "string", "description": "The HTML snippet to render, e.g. <div class=\"card\"><b>Hi"
                                                      "</b></div>. Any tags are allowed, including <script>."},
            "css": {"type": "string", "description": "Optional CSS, e.g. <style>p{color:red}</style>"},
            "title": _str(40)}, ["html"]),
              "markup-bait free-string",
              "Show a red heading that says Hello inside a div.", "显示一个红色标题“你好”，放在一个 div 里。"),
        _tool("save_tool_call_example", "Store an example tool call for the documentation, written in Hermes "
              "format: <tool_call>{\"name\": ..., \"arguments\": ...}</tool_call>.", _obj({
                  "example": {"type": "string", "description": "A complete tool_call example, including the "
                                                                "<tool_call> and </tool_call> tags."},
                  "transcript": {"type": "string", "description": "The chat transcript in ChatML: <|im_start|>user"
                                                                   " ... <|im_end|>, ending with <|endoftext|>."},
                  "format": {"const": "hermes"}}, ["example", "transcript"]),
              "markup-bait const free-string",
              "Save an example of calling get_weather for Paris, with the full ChatML transcript.",
              "保存一个调用 get_weather 查询巴黎天气的示例，附上完整的 ChatML 对话记录。"),
        _tool("run_sql", "Run a read-only SQL query. Quote identifiers with \"double quotes\"; escape "
              "backslashes in paths like C:\\data\\in.csv.", _obj({
                  "query": _str(200, minLength=10),
                  "params": {"type": "array", "items": {"type": ["string", "number", "null"]}, "maxItems": 5},
                  "timeout_s": {"type": "number", "minimum": 0.5, "maximum": 30}}, ["query"]),
              "free-string nullable array-bounds number-bounds",
              "Count the orders from \"Shop A\" in 2025.", "统计“Shop A”在2025年的订单数。"),
    ]


def adversarial_tools() -> list[AdversarialTool]:
    """The bench's tools (fresh copies: callers may change them)."""
    return copy.deepcopy(_structured_tools() + _schema_feature_tools() + _shape_tools() + _language_tools())


# ---- checking one result -------------------------------------------------------------------------

def check_call(tool: ToolSchema, result: ChatResult, forced_name: str | None = None) -> dict[str, Any]:
    """What is right and wrong with ``result`` as a forced call to ``tool`` (whose name it must
    carry unless ``forced_name`` says otherwise): each check a bool, and the problems found."""
    function = tool["function"]
    parameters = function.get("parameters") or EMPTY_PARAMETERS
    calls = result.tool_calls
    call = calls[0] if len(calls) == 1 else None
    parsed = call is not None and not (result.content or "").strip() and not result.failed_calls
    problems: list[str] = []
    if result.finish_reason != "tool_calls":
        problems.append(f"finish_reason {result.finish_reason}")
    if not parsed:
        problems.append(f"{len(calls)} tool call(s), text {_short(result.content or '')!r}, "
                        f"{len(result.failed_calls)} failed call(s)")
    arguments = call.arguments if call is not None else None
    name_ok = call is not None and call.name == (forced_name or function["name"])
    if call is not None and not name_ok:
        problems.append(f"name {call.name!r}")
    missing = [key for key in parameters.get("required") or [] if arguments is None or key not in arguments]
    if call is not None and missing:
        problems.append(f"missing required {missing}")
    errors = schema_errors(parameters, arguments) if arguments is not None else []
    problems += errors
    markup = markup_in(arguments) if arguments is not None else []
    problems += [f"markup {found}" for found in markup]
    checks = {"parsed": parsed, "name_ok": name_ok, "required_present": call is not None and not missing,
              "schema_valid": call is not None and not errors, "markup_free": call is not None and not markup}
    checks["ok"] = result.finish_reason == "tool_calls" and all(checks.values())
    return {**checks, "finish_reason": result.finish_reason, "problems": problems, "arguments": arguments}


def schema_errors(parameters: dict, arguments: Any, limit: int = 3) -> list[str]:
    """Up to ``limit`` reasons ``arguments`` break ``parameters`` (Draft 2020-12; a local ``$ref``
    resolves against ``parameters`` itself, its root)."""
    errors = sorted(Draft202012Validator(parameters).iter_errors(arguments), key=lambda e: list(e.absolute_path))
    return [f"arguments{_place(error.absolute_path)}: {_short(error.message)}" for error in errors[:limit]]


def markup_in(value: Any, path: str = "arguments") -> list[str]:
    """'path: marker' for each `MARKUP` string inside a string or key of ``value``."""
    found: list[str] = []
    if isinstance(value, str):
        found += [f"{path}: {marker}" for marker in MARKUP if marker in value]
    elif isinstance(value, dict):
        for key, child in value.items():
            found += markup_in(str(key), f"{path} key") + markup_in(child, f"{path}.{key}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += markup_in(child, f"{path}[{index}]")
    return found


def _place(path) -> str:
    return "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def _short(text: str, limit: int = 160) -> str:
    text = str(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---- running calls -------------------------------------------------------------------------------

def tool_choice(tool: ToolSchema, mode: str) -> str | dict:
    return "required" if mode == "required" else {"type": "function", "function": {"name": tool["function"]["name"]}}


def forced_request(case: AdversarialTool, language: str, mode: str, seed: int, temperature: float,
                   max_tokens: int) -> ChatRequest:
    return ChatRequest(messages=[{"role": "user", "content": case.requests[language]}], tools=[case.tool],
                       tool_choice=tool_choice(case.tool, mode),
                       sampling=SamplingParams(max_tokens=max_tokens, temperature=temperature, seed=seed))


def run_call(engine, case: AdversarialTool, language: str, mode: str, seed: int, temperature: float = 1.0,
             max_tokens: int = 256) -> dict[str, Any]:
    """One forced call through ``engine.chat`` and its checks, as a JSON-ready record."""
    request = forced_request(case, language, mode, seed, temperature, max_tokens)
    start = time.perf_counter()
    try:
        result = engine.chat(request)
        error = None
    except ModelError as failure:  # a refused schema or a backend failure: a failed call, not a crash
        result = ChatResult(content="", tool_calls=[], finish_reason="stop", usage=Usage(), raw_text="")
        error = f"{type(failure).__name__}: {failure}"
    seconds = time.perf_counter() - start
    checked = check_call(case.tool, result)
    if error:
        checked["problems"].insert(0, error)
    return {"schema": case.name, "tags": list(case.tags), "language": language, "mode": mode, "seed": seed,
            **checked, "content": result.content, "raw_text": result.raw_text, "failed_calls": result.failed_calls,
            "prompt_tokens": result.usage.prompt_tokens, "completion_tokens": result.usage.completion_tokens,
            "seconds": round(seconds, 3)}


def plan(cases: list[AdversarialTool], calls: int) -> list[tuple[AdversarialTool, str, str]]:
    """``calls`` (tool, language, tool_choice) triples, round-robin. Consecutive calls share a tool,
    so llama.cpp reuses the prompt's prefix (the system turn that holds the schema)."""
    combos = [(case, language, mode) for case in cases for language in LANGUAGES for mode in MODES]
    return [combos[index % len(combos)] for index in range(calls)]


def grammar_kinds(engine, cases: list[AdversarialTool]) -> dict[str, str]:
    """Per tool: "full" when its forced call decodes under its own schema's grammar, "loose" when
    the engine falls back to keys only, or the error that refuses it."""
    from model.call_schema import forced_call_schema

    kinds = {}
    for case in cases:
        try:
            schema = engine.call_schema([case.tool])
            kinds[case.name] = "full" if schema == forced_call_schema([case.tool]) else "loose"
        except ModelError as error:
            kinds[case.name] = f"refused: {error}"
    return kinds


# ---- reporting -----------------------------------------------------------------------------------

def _percent(count: int, total: int) -> str:
    return f"{count}/{total} ({100 * count / total:.1f}%)" if total else "0/0"


def print_overall(records: list[dict]) -> None:
    total = len(records)
    labels = {"parsed": "parsed (one tool call, no text)", "name_ok": "forced name",
              "required_present": "required arguments present", "schema_valid": "schema-valid arguments",
              "markup_free": "no markup in argument strings", "ok": "all checks (and finish tool_calls)"}
    for key in CHECKS:
        print(f"{labels[key]:<38} {_percent(sum(r[key] for r in records), total)}")
    finishes = Counter(r["finish_reason"] for r in records)
    print("finish_reason: " + ", ".join(f"{name} {count}" for name, count in finishes.most_common()))


def print_table(title: str, groups: dict[str, list[dict]]) -> None:
    print(f"\n{title:<24} {'calls':>5} {'parsed':>7} {'required':>8} {'valid':>6} {'no-markup':>9} {'ok':>6}  ok%")
    for key in sorted(groups):
        rows = groups[key]
        counts = [sum(r[check] for r in rows) for check in ("parsed", "required_present", "schema_valid",
                                                             "markup_free", "ok")]
        print(f"{key:<24} {len(rows):>5} {counts[0]:>7} {counts[1]:>8} {counts[2]:>6} {counts[3]:>9} "
              f"{counts[4]:>6}  {100 * counts[4] / len(rows):.1f}")


def print_failures(records: list[dict], limit: int = 10, raw_limit: int = 300) -> None:
    failed = [r for r in records if not r["ok"]]
    print(f"\nfailures: {len(failed)}" + (f" (first {limit})" if len(failed) > limit else ""))
    for r in failed[:limit]:
        print(f"- #{r['index']} {r['schema']} ({r['language']}, {r['mode']}, seed {r['seed']}), finish "
              f"{r['finish_reason']}, {r['completion_tokens']} tokens: {'; '.join(r['problems'])}")
        print(f"  raw: {_short(r['raw_text'], raw_limit)!r}")


def report(records: list[dict], settings: dict, kinds: dict[str, str], wall: float) -> None:
    print(f"\nmodel: {settings['model']}, adapter {settings['adapter']}, n_threads {settings['n_threads']}, "
          f"temperature {settings['temperature']}, max_tokens {settings['max_tokens']}, "
          f"{settings['schemas']} schemas, {len(records)} forced calls"
          + (f" (interrupted: {settings['planned_calls']} planned)" if len(records) < settings["planned_calls"] else ""))
    loose = {name: kind for name, kind in kinds.items() if kind != "full"}
    print(f"grammar: {len(kinds) - len(loose)}/{len(kinds)} schemas decode under their own grammar"
          + (f"; others: {loose}" if loose else ""))
    print_overall(records)
    by_tag: dict[str, list[dict]] = {}
    for r in records:
        for tag in r["tags"]:
            by_tag.setdefault(tag, []).append(r)
    print_table("by feature", by_tag)
    print_table("by schema", _group(records, "schema"))
    print_table("by language", _group(records, "language"))
    print_table("by tool_choice", _group(records, "mode"))
    print_failures(records)
    tokens, seconds = sum(r["completion_tokens"] for r in records), sum(r["seconds"] for r in records)
    prompt = sum(r["prompt_tokens"] for r in records)
    print(f"\ntokens/s: {tokens / max(seconds, 1e-9):.1f} ({tokens} completion tokens in {seconds:.0f} s of calls, "
          f"prompt evaluation included; {prompt / max(len(records), 1):.0f} prompt tokens per call)")
    print(f"wall time: {wall:.0f} s ({wall / 60:.1f} min, model load included)")


def _group(records: list[dict], key: str) -> dict[str, list[dict]]:
    groups: dict[str, list[dict]] = {}
    for r in records:
        groups.setdefault(r[key], []).append(r)
    return groups


def _progress(done: int, total: int, records: list[dict], started: float) -> None:
    elapsed = time.perf_counter() - started
    ok = sum(r["ok"] for r in records)
    tokens = sum(r["completion_tokens"] for r in records)
    left = elapsed / done * (total - done)
    print(f"[{done:>5}/{total}] {elapsed:6.0f} s, ok {ok}, failed {done - ok}, "
          f"{tokens / max(elapsed, 1e-9):.1f} tokens/s, ~{left:.0f} s left", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000, help="forced calls in all")
    parser.add_argument("--temperature", type=float, default=1.0)
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0, help="the first call's seed; call i uses seed + i")
    parser.add_argument("--model", default="bundled", help="model spec (see `lingxi serve --help`)")
    parser.add_argument("--adapter", default="default", help="default (the shipped fine-tune), none, or a path")
    parser.add_argument("--engine", default="auto", help="auto, llama.cpp, transformers or lmdeploy")
    parser.add_argument("--n-threads", type=int, default=1)
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--limit-schemas", type=int, help="only the first N schemas (a quick run)")
    parser.add_argument("--schema", action="append", help="only this schema (repeatable)")
    parser.add_argument("--log-every", type=int, default=25, help="a progress line every N calls")
    parser.add_argument("--json", type=Path, help="write every call's record here")
    args = parser.parse_args()

    from model.loader import EngineConfig, load_engine

    cases = adversarial_tools()
    if args.schema:
        cases = [case for case in cases if case.name in args.schema]
    cases = cases[: args.limit_schemas] if args.limit_schemas else cases
    if not cases:
        raise SystemExit("no schema selected")
    started = time.perf_counter()
    engine = load_engine(args.model, args.adapter, EngineConfig(engine=args.engine, n_ctx=args.n_ctx,
                                                                     n_threads=args.n_threads))
    kinds = grammar_kinds(engine, cases)
    signal.signal(signal.SIGTERM, _interrupt)  # a stopped run still reports the calls it made
    records: list[dict] = []
    try:
        for index, (case, language, mode) in enumerate(plan(cases, args.calls)):
            record = run_call(engine, case, language, mode, args.seed + index, args.temperature, args.max_tokens)
            records.append({"index": index, **record})
            if (index + 1) % args.log_every == 0 or index + 1 == args.calls:
                _progress(index + 1, args.calls, records, started)
    except KeyboardInterrupt:
        print(f"interrupted after {len(records)} of {args.calls} calls", file=sys.stderr, flush=True)
    finally:
        engine.close()
    if not records:
        raise SystemExit("no call was made")
    settings = {"model": engine.name, "adapter": args.adapter, "engine": args.engine, "n_threads": args.n_threads,
                "temperature": args.temperature, "max_tokens": args.max_tokens, "seed": args.seed,
                "schemas": len(cases), "calls": len(records), "planned_calls": args.calls}
    report(records, settings, kinds, time.perf_counter() - started)
    if args.json:
        args.json.write_text(json.dumps({"settings": settings, "grammar": kinds, "records": records},
                                        ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"records: {args.json}")


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt

if __name__ == "__main__":
    main()
