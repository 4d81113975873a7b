"""BFCL-style irrelevance: public tool schemas offered with a request none of them serves, answered
without a call.

A model tuned only on examples whose offered tools fit learns "tools listed -> call" and fails
BFCL's irrelevance category (and Lingxi's `irrelevant` kind) whenever the tools are unfamiliar.
Each conversation here offers 2-5 schemas drawn from the public sets of ../shared/data
(Seal-Tools tool.jsonl, API-Bank apis.json, the schemas embedded in the glaive demos; a held-out
source gives none) with one of these requests:

- `chat`: Lingxi's training chat requests (`bank("train", "CHAT", lang)`), answered with the
  bank's own answer; the few whose answer describes Lingxi's own tools are left out, since those
  tools are not offered here;
- `unserved`: Lingxi's training unserved requests (`bank("train", "UNSERVED", lang)`), answered
  with the scenario refusal (`UNSERVED_ANSWERS`) naming the tools actually offered;
- `seal_tools`: Seal-Tools dev queries (English) offered tools that are not their gold tools,
  answered with a short explanation that none of the offered tools fits.

The relevance guard keeps a fitting tool out: a schema whose name or description shares a content
word with the request (lowercased, stop words removed, plurals and -ing/-ed cut, at most six
letters kept; character bigrams for Chinese) is skipped. The request's words are widened by its unserved action ("book
restaurant tables"), by its English counterpart when the Chinese and English banks are parallel,
by a small table of cross-lingual concepts (weather/天气/forecast), and for a Seal-Tools query by
the words of its gold tools' names; a gold tool, or any schema with the same (normalised) name, is
never offered. Skipped schemas are counted in `notes`.

Languages are balanced: half the conversations are Chinese (the banks), half English (the banks,
and Seal-Tools queries when Seal-Tools is a source). Everything is drawn from `random.Random`
seeded by `seed`: the same arguments give the same conversations. Evaluation data is never read:
no BFCL (`refuse_eval_data`), no Seal-Tools test split (only dev.jsonl and tool.jsonl are opened).
"""
from __future__ import annotations

import json
import logging
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from model.types import ToolSchema
from training.conversation import Conversation, Problem, cjk_share
from training.converters import Converted, api_bank, glaive, refuse_eval_data, seal_tools
from training.converters.public import GLAIVE_FILES, PUBLIC_SOURCES
from training.errors import TrainingError
from training.formats.records import iter_json_records

logger = logging.getLogger(__name__)

SOURCES = ("seal_tools", "api_bank", "glaive")
SCHEMA_FILES = {"seal_tools": ("seal_tools/tool.jsonl",), "api_bank": ("api_bank/apis.json",),
                "glaive": tuple(f"train_toolcall/{name}" for name in GLAIVE_FILES)}
"""Where each source's schemas are, under the data folder."""
MIN_TOOLS, MAX_TOOLS = 2, 5
KIND_WEIGHTS = {"en": {"chat": 1, "unserved": 1, "seal_tools": 2}, "zh": {"chat": 1, "unserved": 2}}
"""How each language's half is split between the kinds (Seal-Tools queries are English only)."""
NO_FIT_REPLY = {
    "en": "I can't do that with a tool call: none of the tools I have ({tools}) fits this request. "
          "Could you tell me more, or ask for something these tools cover?",
    "zh": "这件事我没法通过调用工具完成：我现有的工具（{tools}）都不适用于这个请求。"
          "你可以补充一些信息，或者换一个这些工具能处理的请求。",
}
"""The answer to a Seal-Tools query offered only unrelated tools (cf. seal_tools.NO_TOOL_REPLY)."""
_OWN_TOOLS = re.compile(r"\btools?\b|calculat|python|search|计算|搜索|工具", re.IGNORECASE)
"""Chat answers that describe Lingxi's own tools ("I can use a calculator, Python and web search")."""

# ---- the relevance guard ---------------------------------------------------------------------
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be been before being below
between both but by can could did do does doing down during each few for from further had has
have having he her here hers him his how i if in into is it its itself just let me more most my
myself no nor not now of off on once only or other our ours out over own same she should so some
such than that the their them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours yourself
please hi hello thanks thank ok okay yes sure want need like know tell give get set make
made use used using show help one two three specific certain given provide provided information
info detail details data api function tool tools based new s t
""".split())
ZH_STOP_BIGRAMS = frozenset("""
一个 一下 一些 帮我 给我 我的 你的 我们 你们 什么 怎么 可以 这个 那个 这些 那些 是否 如何 需要 请帮
一句 一张 一种 现在 今天 的是 了吗 的话 关于
""".split())
CONCEPTS: tuple[tuple[str, ...], ...] = (
    ("weather", "forecast", "temperature", "rain", "climate", "天气", "气温", "预报", "下雨"),
    ("restaurant", "reservation", "reserve", "dining", "dinner", "table", "餐厅", "订餐", "预订", "订位"),
    ("hotel", "accommodation", "lodging", "酒店", "住宿", "宾馆"),
    ("flight", "airline", "airport", "航班", "机票", "值机"),
    ("music", "song", "playlist", "jazz", "audio", "音乐", "歌曲", "播放", "爵士"),
    ("message", "sms", "text", "email", "mail", "短信", "邮件", "消息"),
    ("phone", "call", "dial", "电话", "手机"),
    ("calendar", "meeting", "event", "schedule", "agenda", "appointment", "日历", "会议", "日程"),
    ("alarm", "reminder", "timer", "闹钟", "提醒", "定时"),
    ("payment", "pay", "bill", "transfer", "bank", "account", "money", "转账", "缴费", "支付", "账户", "电费"),
    ("ticket", "concert", "booking", "购票", "门票", "音乐会"),
    ("light", "lamp", "smart", "device", "home", "灯", "智能", "设备"),
    ("photo", "image", "picture", "camera", "screenshot", "照片", "图片", "截屏", "相册"),
    ("file", "upload", "cloud", "drive", "storage", "folder", "文件", "上传", "网盘", "回收站"),
    ("translate", "translation", "language", "翻译", "语言"),
    ("joke", "humor", "funny", "riddle", "笑话", "谜语"),
    ("poem", "poetry", "haiku", "verse", "rhyme", "诗", "诗歌"),
    ("news", "headline", "新闻"),
    ("car", "vehicle", "汽车", "车"),
    ("tv", "television", "channel", "record", "电视", "录制"),
    ("social", "post", "instagram", "twitter", "facebook", "朋友圈", "社交"),
    ("location", "map", "navigation", "位置", "地图", "导航"),
    ("subscription", "membership", "gym", "订阅", "会员", "健身"),
    ("software", "install", "app", "application", "安装", "软件"),
    ("password", "wifi", "router", "network", "密码", "路由器", "网络"),
    ("library", "book", "loan", "renew", "图书", "图书馆", "续借"),
    ("name", "naming", "起名", "名字"),
    ("recipe", "cook", "cooking", "food", "dish", "做饭", "菜谱", "食谱"),
    ("quote", "motivation", "inspiration", "encourage", "鼓励", "名言"),
    ("definition", "synonym", "antonym", "dictionary", "word", "近义词", "反义词", "词典"),
    ("fact", "trivia", "冷知识"),
    ("movie", "film", "电影"),
    ("stock", "share", "market", "股票", "股市"),
)
"""Words that name one subject across languages and near-synonyms: a request that names one
guards against schemas that name any (a zh request against an English `get_weather`)."""
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")
_LATIN = re.compile(r"[A-Za-z]+")
_CJK_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")


def _stem(word: str) -> str:
    """A crude stem: plural, -ing and -ed cut, then at most 6 letters, so that "recommend" and
    "recommendation", "booking" and "books" meet (a few false meetings only skip a schema more)."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            break
    return word[:6]


def content_words(text: str) -> frozenset[str]:
    """The words a relevance check compares: English words (camelCase and snake_case split,
    lowercased, stop words out, lightly stemmed) and Chinese character bigrams."""
    words: set[str] = set()
    for word in _LATIN.findall(_CAMEL.sub(r"\1 \2", text or "")):
        word = word.lower()
        if len(word) > 1 and word not in STOP_WORDS:
            stem = _stem(word)
            if stem not in STOP_WORDS:
                words.add(stem)
    for run in _CJK_RUN.findall(text or ""):
        words.update(run[i: i + 2] for i in range(len(run) - 1) if run[i: i + 2] not in ZH_STOP_BIGRAMS)
    return frozenset(words)


def _concept_words(words: frozenset[str], text: str) -> set[str]:
    extra: set[str] = set()
    for group in CONCEPTS:
        if any(term in text if _CJK_RUN.fullmatch(term) else _stem(term) in words for term in group):
            for term in group:
                # a single Chinese character (灯) stands as itself: _schema_words looks for it
                extra |= {term} if len(term) == 1 else content_words(term)
    return extra


def guard_words(request: str, *related: str) -> frozenset[str]:
    """What a schema must not mention to be offered with `request`: the content words of the
    request and of `related` texts (its action, its other-language counterpart, gold tool names),
    widened by the concepts they name."""
    text = " ".join([request, *related])
    words = content_words(text)
    return words | _concept_words(words, text)


def _schema_words(tool: ToolSchema) -> frozenset[str]:
    function = tool["function"]
    text = f"{function['name']} {function.get('description') or ''}"
    words = content_words(text)
    # single-character concept terms (灯, 诗, 车) match as characters of the schema's Chinese text
    singles = {term for group in CONCEPTS for term in group if len(term) == 1 and term in text}
    return words | singles


def _normal_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


# ---- the schema pool -------------------------------------------------------------------------
@dataclass(frozen=True)
class PoolSchema:
    source: str
    tool: ToolSchema
    words: frozenset[str]

    @property
    def name(self) -> str:
        return self.tool["function"]["name"]


def load_pool(data_dir: Path, sources: Iterable[str], result: Converted) -> dict[str, list[PoolSchema]]:
    """The public schemas of each source present under data_dir, without duplicates."""
    pool: dict[str, list[PoolSchema]] = {}
    for source in sources:
        tools = _source_tools(data_dir, source)
        if tools is None:
            result.notes[f"source {source} absent"] += 1
            logger.warning("irrelevance: no %s schemas under %s", source, data_dir)
            continue
        seen: set[tuple[str, str]] = set()
        entries = []
        for tool in tools:
            function = tool["function"]
            key = (function["name"], str(function.get("description") or ""))
            if key in seen or not function["name"]:
                continue
            seen.add(key)
            entries.append(PoolSchema(source, tool, _schema_words(tool)))
        if entries:
            pool[source] = entries
            result.notes[f"pool schemas from {source}"] = len(entries)
    return pool


def _source_tools(data_dir: Path, source: str) -> list[ToolSchema] | None:
    for name in SCHEMA_FILES[source]:
        refuse_eval_data(data_dir / name)  # a folder linked to evaluation data is refused too
    if source == "seal_tools":
        path = data_dir / "seal_tools" / "tool.jsonl"
        return list(seal_tools.load_tools(path).values()) if path.is_file() else None
    if source == "api_bank":
        path = data_dir / "api_bank" / "apis.json"
        if not path.is_file():
            return None
        try:
            return list(api_bank.load_tools(path).values())
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise TrainingError(f"{path}: not API-Bank tool descriptions ({error})") from None
    paths = [data_dir / "train_toolcall" / name for name in GLAIVE_FILES]
    if not any(path.is_file() for path in paths):
        return None
    return [tool for path in paths if path.is_file()
            for conversation in glaive.convert(path).conversations for tool in conversation.tools]


# ---- the requests ----------------------------------------------------------------------------
@dataclass(frozen=True)
class Request:
    kind: str
    language: str
    text: str
    answer: str
    """The answer, or for an unserved request its action ("book restaurant tables")."""
    related: tuple[str, ...] = ()
    """More text the offered schemas must not mention (action, counterpart, gold tool names)."""
    gold: frozenset[str] = frozenset()
    """Normalised names of tools that serve the request (never offered)."""


def bank_requests(result: Converted) -> dict[tuple[str, str], list[Request]]:
    """Lingxi's training chat and unserved requests, by (language, kind)."""
    from tools.scenarios.generate import bank

    requests: dict[tuple[str, str], list[Request]] = {}
    for kind, name in (("chat", "CHAT"), ("unserved", "UNSERVED")):
        english = bank("train", name, "en")
        chinese = bank("train", name, "zh")
        parallel = len(english) == len(chinese)
        for language, entries in (("en", english), ("zh", chinese)):
            items = []
            for index, (text, answer) in enumerate(entries):
                if kind == "chat" and _OWN_TOOLS.search(answer):
                    result.notes["chat requests about Lingxi's own tools left out"] += 1
                    continue
                related = [answer] if kind == "unserved" else []
                if language == "zh" and parallel:  # the English counterpart guards across languages
                    related += list(english[index]) if kind == "unserved" else [english[index][0]]
                items.append(Request(kind, language, text, answer, tuple(related)))
            if items:
                requests[(language, kind)] = items
    return requests


def seal_requests(data_dir: Path, result: Converted) -> list[Request]:
    """Seal-Tools dev queries with the names of their gold tools (every call, dependent or not)."""
    path = data_dir / "seal_tools" / "dev.jsonl"  # never a test split: those are evaluation data
    refuse_eval_data(path)
    if not path.is_file():
        result.notes["seal_tools dev.jsonl absent"] += 1
        return []
    requests = []
    for record in iter_json_records(path):
        value = record.value if isinstance(record.value, dict) else {}
        calls = value.get("calling")
        if record.error is not None or not isinstance(value.get("query"), str) or not isinstance(calls, list) \
                or not calls or not all(isinstance(call, dict) and isinstance(call.get("api"), str) for call in calls):
            result.problems.append(Problem("error", record.error or 'expected {"query", "calling": [{"api"}]}',
                                           record.location))
            result.notes["seal_tools queries left out"] += 1
            continue
        gold = tuple(dict.fromkeys(call["api"] for call in calls))
        language = "zh" if cjk_share(value["query"]) > 0.3 else "en"
        requests.append(Request("seal_tools", language, value["query"].strip(), "", gold,
                                frozenset(_normal_name(name) for name in gold)))
    return requests


# ---- the conversations -----------------------------------------------------------------------
def convert_irrelevance(data_dir: str | Path, count: int, seed: int = 0,
                        sources: Iterable[str] = SOURCES, held_out: Iterable[str] = ()) -> Converted:
    """`count` conversations (half English, half Chinese where the requests allow) that offer
    2-5 public schemas from `sources` (less those `held_out`) with a request none of them serves,
    and answer it without a call."""
    sources, held_out = tuple(sources), tuple(held_out)
    unknown = sorted(set(sources + held_out) - set(PUBLIC_SOURCES))
    if unknown:
        raise ValueError(f"unknown public source(s) {unknown}; known: {', '.join(PUBLIC_SOURCES)}")
    data_dir = Path(data_dir)
    refuse_eval_data(data_dir)
    if not data_dir.is_dir():
        raise TrainingError(f"public data folder not found: {data_dir} (set LINGXI_DATA_DIR or public_sets)")
    result = Converted("public_irrelevance")
    used = [source for source in sources if source not in held_out]
    for source in sorted(set(sources) - set(used)):
        result.notes[f"source {source} held out"] += 1
    pool = load_pool(data_dir, used, result)
    if sum(len(entries) for entries in pool.values()) < MIN_TOOLS:
        raise TrainingError(f"no public tool schemas under {data_dir} for sources {', '.join(used) or '(none)'}: "
                            "expected seal_tools/tool.jsonl, api_bank/apis.json or train_toolcall/glaive_*.json")
    requests = bank_requests(result)
    if "seal_tools" in used and "seal_tools" in pool:
        seal = seal_requests(data_dir, result)
        for request in seal:
            requests.setdefault((request.language, "seal_tools"), []).append(request)
    plan = _plan(count, requests)
    rng = random.Random(f"{seed}-irrelevance")
    queues = {key: [] for key in requests}
    seen_requests: set[str] = set()
    for index, key in enumerate(plan):
        if not queues[key]:  # every request of a kind once, in a seeded order, before any repeats
            queues[key] = rng.sample(requests[key], len(requests[key]))
        request = queues[key].pop()
        local = random.Random(f"{seed}-irrelevance-{index}")
        tools = _draw_tools(request, pool, local, result)
        if tools is None:
            result.notes["requests left out: too few unrelated schemas"] += 1
            continue
        seen_requests.add(request.text)
        names = [tool["function"]["name"] for tool in tools]
        messages = [{"role": "user", "content": request.text},
                    {"role": "assistant", "content": _answer(request, names)}]
        result.conversations.append(Conversation(messages, tools, id=f"irrelevance-{index}",
                                                 source=f"public_irrelevance:{request.kind}"))
        result.notes[f"kind {request.kind}"] += 1
        result.notes[f"language {request.language}"] += 1
    result.notes["distinct requests"] = len(seen_requests)
    return result


def _plan(count: int, requests: dict[tuple[str, str], list[Request]]) -> list[tuple[str, str]]:
    """The (language, kind) of each conversation: half per language (all to one when the other
    has no requests), split by KIND_WEIGHTS among the kinds present, interleaved."""
    languages = [language for language in ("en", "zh") if any(key[0] == language for key in requests)]
    if not languages or count <= 0:
        return []
    per_language = {language: count // len(languages) + (i < count % len(languages))
                    for i, language in enumerate(languages)}
    slots: list[tuple[float, tuple[str, str]]] = []
    for language in languages:
        weights = {kind: w for kind, w in KIND_WEIGHTS[language].items() if (language, kind) in requests}
        if not weights:  # a language with only kinds outside its weights (e.g. a zh Seal-Tools query)
            weights = {key[1]: 1 for key in requests if key[0] == language}
        total = sum(weights.values())
        share = {kind: per_language[language] * w / total for kind, w in weights.items()}
        counts = {kind: int(value) for kind, value in share.items()}
        for kind in sorted(share, key=lambda k: counts[k] - share[k])[: per_language[language] - sum(counts.values())]:
            counts[kind] += 1
        for kind, n in counts.items():
            slots += [((k + 0.5) / n, (language, kind)) for k in range(n)]
    return [key for _, key in sorted(slots)]


def _draw_tools(request: Request, pool: dict[str, list[PoolSchema]], rng: random.Random,
                result: Converted) -> list[ToolSchema] | None:
    """2-5 schemas none of which is a gold tool, shares a name with one, or mentions the request."""
    wanted = rng.randint(MIN_TOOLS, MAX_TOOLS)
    guard = guard_words(request.text, *request.related)
    sources = sorted(pool)
    chosen: list[PoolSchema] = []
    names: set[str] = set()
    tried: set[tuple[str, int]] = set()
    for _ in range(40 * MAX_TOOLS):
        if len(chosen) == wanted:
            break
        source = rng.choice(sources)  # sources alike, so that the few glaive schemas are not drowned
        position = rng.randrange(len(pool[source]))
        if (source, position) in tried:
            continue
        tried.add((source, position))
        entry = pool[source][position]
        name = _normal_name(entry.name)
        if name in request.gold:
            result.notes["gold tools (or namesakes) not offered"] += 1
            continue
        if name in names:
            continue
        if entry.words & guard:
            result.notes["schemas skipped by the relevance guard"] += 1
            continue
        chosen.append(entry)
        names.add(name)
    if len(chosen) < MIN_TOOLS:
        return None
    for entry in chosen:
        result.notes[f"schemas offered from {entry.source}"] += 1
    return [json.loads(json.dumps(entry.tool)) for entry in chosen]  # a copy per conversation


def _answer(request: Request, names: list[str]) -> str:
    from tools.scenarios import phrasings

    listed = ", ".join(names)
    if request.kind == "chat":
        return request.answer
    if request.kind == "unserved":
        return phrasings.UNSERVED_ANSWERS[request.language].format(action=request.answer, tools=listed)
    return NO_FIT_REPLY[request.language].format(tools=listed)
