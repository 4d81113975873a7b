"""The composed training banks (tools/scenarios/compose.py): sizes, shapes, correctness, and that they
share no wording or entity with a held-out split.

The held-out modules are read at test time (val_phrasings.py, test_phrasings.py as it stands, and the
legacy quarter of phrasings.py), so the rules keep holding as those modules grow.
"""
from __future__ import annotations

import math
import random
import re
import time
from pathlib import Path

import pytest

from tools.scenarios import compose as C
from tools.scenarios import generate as G
from tools.scenarios import phrasings as P
from tools.scenarios import test_phrasings as X
from tools.scenarios import val_phrasings as V
from tools.scenarios.checks import score
from tools.scenarios.generate import Observer, in_split
from tools.scenarios.phrasings import CalcPhrasing, PythonPhrasing

MINIMUM = {"CALCULATOR": 150, "PYTHON": 60, "WEB_REQUESTS": 60, "NOTE_REQUESTS": 60, "PAGE_REQUESTS": 40,
           "CHAT": 2000, "UNSERVED": 2000}
LANGS = ("en", "zh")
REQUEST_BANKS = ("CALCULATOR", "PARALLEL", "PYTHON", "WEB_REQUESTS", "NOTE_REQUESTS", "PAGE_REQUESTS", "CHAT", "UNSERVED")
PYTHON_SLOTS = {"word", "n", "prime", "nums", "year", "month", "day"}


# ---- the held-out world, read now (as tests/test_tool_scenarios.py reads it) -----------------
def _entries(module, name: str, legacy_only: bool) -> list:
    banks = getattr(module, name, None) or {}
    lists = banks.values() if isinstance(banks, dict) else [banks]
    return [e for entries in lists for e in (in_split(list(entries), "legacy") if legacy_only else entries)]


def request_templates(module, legacy_only: bool = False) -> set[str]:
    """Every request wording of a phrasing module, slots left in braces."""
    return {e if isinstance(e, str) else getattr(e, "request", None) or e[0]
            for name in REQUEST_BANKS for e in _entries(module, name, legacy_only)}


def any_of(templates: set[str]) -> re.Pattern:
    """Matches, whole, any request made from one of `templates` (a slot: any text)."""
    alternatives = ("(?:" + ".+".join(map(re.escape, re.split(r"\{[^{}]*\}", t))) + ")" for t in templates)
    return re.compile("|".join(alternatives), re.DOTALL)


def entities(module, legacy_only: bool = False) -> set[str]:
    """The module's web topics, note projects, page URLs and Python words, lower case."""
    found = {f.topic for f in _entries(module, "WEB_FACTS", legacy_only)}
    found |= {n.project for n in _entries(module, "NOTES", legacy_only)}
    found |= {p.url for p in _entries(module, "PAGES", legacy_only)}
    found |= set(_entries(module, "PYTHON_WORDS", legacy_only))
    return {entity.lower() for entity in found}


def mentioned(entities: set[str], text: str) -> list[str]:
    """The entities that occur in `text`: as whole words where they are ASCII ('ember' is not in 'November')."""
    text = text.lower()
    return sorted(e for e in entities
                  if (re.search(rf"(?<![a-z0-9]){re.escape(e)}(?![a-z0-9])", text) if e.isascii() else e in text))


@pytest.fixture(scope="module")
def held_templates() -> set[str]:
    held = request_templates(P, legacy_only=True) | request_templates(V) | request_templates(X)
    assert len(held) > 400  # val and the legacy quarter alone have more than 200
    return held


@pytest.fixture(scope="module")
def held_entities() -> set[str]:
    found = entities(P, legacy_only=True) | entities(V) | entities(X)
    assert len(found) >= 60
    return found


@pytest.fixture(scope="module")
def observer() -> Observer:
    return Observer()


def bank(name: str, lang: str) -> list:
    return C.composed(name, lang)


def requests_of(name: str, lang: str) -> list[str]:
    return [C.request_of(entry) for entry in bank(name, lang)]


def _python_values(rng: random.Random) -> dict:
    return {"word": rng.choice(G.bank("train", "PYTHON_WORDS")), "n": rng.randint(5, 15),
            "prime": rng.choice([rng.randint(50, 999), 97, 101, 541, 997]),
            "nums": ", ".join(str(rng.randint(-50, 200)) for _ in range(rng.randint(4, 7))),
            "year": rng.randint(1990, 2030), "month": rng.randint(1, 12), "day": rng.randint(1, 28)}


def filled(entry, rng: random.Random) -> str:
    """The request as the generator fills it."""
    if isinstance(entry, CalcPhrasing):
        return entry.request.format(**G._draw(entry.slots, rng))
    if isinstance(entry, PythonPhrasing):
        return entry.request.format(**_python_values(rng))
    if isinstance(entry, str):
        fact = rng.choice(G.bank("train", "WEB_FACTS", "en") + G.bank("train", "WEB_FACTS", "zh"))
        note = rng.choice(G.bank("train", "NOTES", "en") + G.bank("train", "NOTES", "zh"))
        page = rng.choice(G.bank("train", "PAGES", "en") + G.bank("train", "PAGES", "zh"))
        return entry.format(topic=fact.topic, project=note.project, attribute=note.attribute, url=page.url)
    return entry[0]


# ---- sizes, shapes, determinism --------------------------------------------------------------
@pytest.mark.parametrize("name", MINIMUM)
@pytest.mark.parametrize("lang", LANGS)
def test_bank_sizes_and_uniqueness(name, lang):
    requests = requests_of(name, lang)
    assert len(requests) >= MINIMUM[name], (name, lang, len(requests))
    assert len(set(requests)) == len(requests)
    assert bank(name, lang) == bank(name, lang) and bank(name, lang) is not bank(name, lang)  # a copy each time


def test_banks_not_composed_are_empty():
    assert C.composed("PARALLEL", "en") == [] and C.composed("WEB_FACTS", "zh") == [] and C.composed("CHAT", "fr") == []


def test_building_is_deterministic_and_fast():
    before = {(name, lang): bank(name, lang) for name in MINIMUM for lang in LANGS}
    C._bank.cache_clear()
    C._guard.cache_clear()
    start = time.perf_counter()
    after = {(name, lang): bank(name, lang) for name in MINIMUM for lang in LANGS}
    assert time.perf_counter() - start < 2.0
    assert after == before


@pytest.mark.parametrize("lang", LANGS)
def test_entries_have_the_shapes_the_generator_reads(lang):
    for p in bank("CALCULATOR", lang):
        assert isinstance(p, CalcPhrasing)
        request_slots = set(re.findall(r"\{(\w+)\}", p.request))
        assert set(re.findall(r"\{(\w+)\}", p.expression)) <= request_slots == set(p.slots), p
        assert set(re.findall(r"\{(\w+)\}", p.answer)) <= set(p.slots) | {"value"} and "{value}" in p.answer, p
        assert "sq" not in p.slots and all(low < high for low, high in p.slots.values()), p
    for p in bank("PYTHON", lang):
        assert isinstance(p, PythonPhrasing)
        used = set(re.findall(r"\{(\w+)[:}]", p.request + p.code + p.answer))
        assert used <= PYTHON_SLOTS | {"value"} and "{value}" in p.answer, p
        assert set(re.findall(r"\{(\w+)[:}]", p.request)) >= set(re.findall(r"\{(\w+)[:}]", p.code)), p
        assert "print(" in p.code
    slots = {"WEB_REQUESTS": {"topic"}, "NOTE_REQUESTS": {"project", "attribute"}, "PAGE_REQUESTS": {"url"}}
    for name, wanted in slots.items():
        for template in bank(name, lang):
            assert isinstance(template, str) and set(re.findall(r"\{(\w+)\}", template)) == wanted, (name, template)
            assert template.count("{") == len(wanted), template
    for name in ("CHAT", "UNSERVED"):
        for entry in bank(name, lang):
            assert isinstance(entry, tuple) and len(entry) == 2 and all(isinstance(x, str) and x.strip() for x in entry)
            assert "{" not in entry[0] and "«" not in entry[0] + entry[1] and "»" not in entry[0] + entry[1], entry


@pytest.mark.parametrize("lang", LANGS)
def test_chinese_banks_are_chinese_and_english_banks_english(lang):
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for name in MINIMUM:
        for request in requests_of(name, lang):
            # English chat and Python tasks may quote a Chinese word; nothing else mixes
            assert bool(cjk.search(request)) == (lang == "zh") or lang == "en" and name in ("CHAT", "PYTHON"), (name, request)


# ---- held-out wording and entities --------------------------------------------------------------
def test_no_composed_request_is_or_could_be_made_from_a_held_out_template(held_templates):
    from_held = any_of(held_templates)
    rng = random.Random(0)
    for name in MINIMUM:
        for lang in LANGS:
            entries = bank(name, lang)
            for entry in entries:
                request = C.request_of(entry)
                assert request not in held_templates, (name, request)
                assert not from_held.fullmatch(request), (name, request)
                for _ in range(3):
                    sample = filled(entry, rng)
                    assert not from_held.fullmatch(sample), (name, sample)
            # and back: no held-out request could have been made from one of these templates
            mine = any_of({C.request_of(e) for e in entries})
            bad = [h for h in held_templates if mine.fullmatch(h)]
            assert not bad, (name, lang, bad[:5])


def test_no_held_out_entity_appears_in_the_module_or_its_banks(held_entities):
    source = Path(C.__file__).read_text(encoding="utf-8")
    assert not mentioned(held_entities, source)
    texts = []
    for name in MINIMUM:
        for lang in LANGS:
            for entry in bank(name, lang):
                if isinstance(entry, CalcPhrasing):
                    texts += [entry.request, entry.answer]
                elif isinstance(entry, PythonPhrasing):
                    texts += [entry.request, entry.code, entry.answer]
                elif isinstance(entry, str):
                    texts.append(entry)
                else:
                    texts += list(entry)
    assert not mentioned(held_entities, "\n".join(texts))


def test_no_composed_request_is_a_near_copy_of_a_held_out_one(held_templates):
    near = C.NearCopies(held_templates)
    for name in MINIMUM:
        for lang in LANGS:
            copies = [(r, near.of(r)) for r in requests_of(name, lang) if near.of(r)]
            assert not copies, (name, lang, copies[:5])
    # the check itself: a held-out request wrapped in other words is caught
    literal = sorted(h for h in held_templates if "{" not in h and h.isascii() and len(C.content_units(h)) >= 3)
    assert literal
    for held in literal[:50]:
        assert held in near.of(f"Please {held[0].lower()}{held[1:-1]} for me right away.")


def test_held_out_modules_stay_untouched_by_composition(held_templates):
    """Composed banks are training-only: the held-out splits read their own modules, not compose."""
    assert G.bank("val", "CHAT", "en") == V.CHAT["en"] and G.bank("test", "UNSERVED", "zh") == list(X.UNSERVED["zh"])
    assert G.bank("legacy", "CHAT", "zh") == in_split(P.CHAT["zh"], "legacy")


# ---- correctness ---------------------------------------------------------------------------------
@pytest.mark.parametrize("lang", LANGS)
def test_calculator_expressions_evaluate_to_sensible_finite_numbers(lang, observer):
    rng = random.Random(f"calc-{lang}")
    for phrasing in bank("CALCULATOR", lang):
        for draw in range(3):
            values = G._draw(phrasing.slots, rng) if draw else {k: low for k, (low, _) in phrasing.slots.items()}
            expression = phrasing.expression.format(**values)
            result = observer.registry.call("calculator", {"expression": expression})
            assert result.ok, (phrasing.request, expression, result.content)
            number = G._numeric(result.content)
            assert number is not None and math.isfinite(number) and abs(number) < 1e9, (expression, result.content)
            answer = phrasing.answer.format(**values, value=G.quoted_value(result.content))
            assert G.quoted_value(result.content) in answer
            request = phrasing.request.format(**values)
            assert "{" not in request and "{" not in answer


def test_calculator_wordings_match_their_expressions(observer):
    """Spot checks that the arithmetic is the arithmetic the words ask for."""
    def value(request_start: str, lang: str, **values) -> float:
        phrasing = next(p for p in bank("CALCULATOR", lang) if p.request.startswith(request_start))
        return G._numeric(observer.registry.call("calculator", {"expression": phrasing.expression.format(**values)}).content)

    assert value("What's the area of a round table", "en", r=50) == pytest.approx(math.pi * 2500)
    assert value("I'm {f} feet {i} inches tall", "en", f=5, i=10) == pytest.approx(177.8)
    assert value("Convert {f} °F to Celsius", "en", f=212) == pytest.approx(100)
    assert value("My rent dropped from", "en", a=2000, b=1500) == pytest.approx(25)
    assert value("We're taking {p} people on a trip", "en", p=33, b=8) == 5
    assert value("{a}斤是多少公斤", "zh", a=10) == 5
    assert value("一块地长{a}米宽{b}米，合多少亩", "zh", a=100, b=100) == pytest.approx(15)
    assert value("早上{a}点上班，下午{b}点下班", "zh", a=9, b=5) == 8
    assert value("手上有{a}元人民币，1美元兑7.{r}元", "zh", a=720, r=20) == pytest.approx(100)
    assert value("One US dollar buys 7.{r} yuan", "en", r=20, a=100) == pytest.approx(720)
    assert value("A {a}-page book, {b} pages a day", "en", a=300, b=20) == 15


def _with_bank(monkeypatch, name: str, entries: list) -> None:
    real = G.bank

    def fake(split, bank_name, language=None):
        return list(entries) if bank_name == name else real(split, bank_name, language)

    monkeypatch.setattr(G, "bank", fake)


@pytest.mark.parametrize("lang", LANGS)
def test_python_codes_run_in_the_sandbox_and_print(lang, observer, monkeypatch):
    phrasings = bank("PYTHON", lang)
    sample = random.Random(f"py-{lang}").sample(phrasings, 20)
    for phrasing in sample:
        _with_bank(monkeypatch, "PYTHON", [phrasing])
        fields = G.make_python(lang, "train", random.Random(phrasing.request), observer)
        assert fields["expect"]["output"], phrasing.request
        assert fields["expect"]["output"] in fields["answer"]


def test_the_generator_builds_correct_scenarios_from_the_composed_banks(monkeypatch, observer):
    real = G.bank

    def composed_only(split, name, language=None):
        entries = C.composed(name, language) if language else []
        return entries or real(split, name, language)

    monkeypatch.setattr(G, "bank", composed_only)
    kinds = ("calculator", "web_search", "knowledge_base", "fetch_url", "no_tool", "irrelevant")
    scenarios = G.build_scenarios("train", 30, kinds=kinds, observer=observer)
    assert len(scenarios) == 30 * len(kinds)
    composed_requests = {C.request_of(e) for name in ("CHAT", "UNSERVED") for lang in LANGS for e in C.composed(name, lang)}
    assert all(s.request in composed_requests for s in scenarios if s.kind in ("no_tool", "irrelevant"))
    for scenario in scenarios:
        result = score(scenario, scenario.calls, scenario.answer, observer)
        assert result.correct, (scenario.id, scenario.request, result)


def test_chat_answers_from_the_tables_are_correct():
    en, zh = dict(bank("CHAT", "en")), dict(bank("CHAT", "zh"))
    checks = [
        (en, "What is the capital of France?", "Paris"), (zh, "法国的首都是哪里？", "巴黎"),
        (en, "Which country has Tokyo as its capital?", "Japan"), (zh, "堪培拉是哪个国家的首都？", None),
        (en, "What's the chemical symbol for iron?", "Fe"), (zh, "钠的元素符号是什么？", "Na"),
        (en, "Which element has the symbol K?", "potassium"), (en, "What is the atomic number of carbon?", "6"),
        (en, "How do you say 'apple' in Chinese?", "苹果"), (zh, "“苹果”用英语怎么说？", "apple"),
        (en, "How many minutes are in an hour?", "60"), (zh, "一公斤等于多少克？", "1000"), (zh, "一斤是几两？", "10"),
        (en, "What's the opposite of 'hot'?", "cold"), (zh, "“快”的反义词是什么？", "慢"),
        (en, "What day comes after Friday?", "Saturday"), (zh, "星期五的后一天是星期几？", "星期六"),
        (en, "How many days does April have?", "30"), (zh, "2月有多少天？", "28"),
        (en, "What colour is grass?", "green"), (zh, "茄子是什么颜色的？", "紫"),
        (en, "What is a baby cat called?", "kitten"), (en, "How many sides does a hexagon have?", "6"),
        (zh, "十二生肖里虎后面是什么？", "兔"), (zh, "中秋节是哪一天？", "八月十五"),
        (zh, "“守株待兔”是什么意思？", "不劳而获"), (en, "What does 'nocturnal' mean?", "night"),
    ]
    for table, request, expected in checks:
        if expected is None:
            assert request not in table  # Australia's capital is a validation web question, not chat
        else:
            assert expected in table[request], (request, table[request])
    # every capital question answers with that country's capital, in both languages
    for country, capital, country_zh, capital_zh in C.CAPITALS:
        assert capital in en[f"What is the capital of {country}?"]
        assert capital_zh in zh[f"{country_zh}的首都是哪里？"]
    for name, symbol, name_zh, _ in C.ELEMENTS:
        assert symbol in en[f"What's the chemical symbol for {name}?"] and symbol in zh[f"{name_zh}的元素符号是什么？"]


@pytest.mark.parametrize("lang", LANGS)
def test_chat_requests_need_no_tool(lang):
    arithmetic = re.compile(r"\d+\s*[-+*/×÷x]\s*\d+")
    tool_words = re.compile(r"search|look up|online|internet|web|latest|news|http|my notes|uploaded|python|code|calculat"
                            r"|搜索|上网|网上|联网|最新|新闻|笔记|上传|代码|计算", re.IGNORECASE)
    for request, answer in bank("CHAT", lang):
        assert not arithmetic.search(request), request
        assert not tool_words.search(request), request
        assert len(answer) < 300, answer


@pytest.mark.parametrize("lang", LANGS)
def test_unserved_actions_read_right_in_the_answer(lang):
    template = P.UNSERVED_ANSWERS[lang]
    actions = {action for _, action in bank("UNSERVED", lang)}
    assert actions <= set(C.UNSERVED_ACTIONS[lang]) and len(actions) >= 30
    for action in actions:
        assert action == action.strip() and not re.search(r"[.,;:!?。，；：！？]$", action), action
        answer = template.format(action=action, tools="calculator, python")
        if lang == "en":
            assert action[0].islower() and not action.startswith(("to ", "can ", "not ")), action
            assert answer.startswith(f"Sorry, I can't {action}: ")
        else:
            assert not action.startswith(("无法", "不能", "我", "帮我")), action
            assert answer.startswith(f"抱歉，我无法{action}：")
    # none of these is a job for a tool: no search, no sums, no links, no documents
    for request, _ in bank("UNSERVED", lang):
        assert not re.search(r"search|look up|calculate|http|搜索|计算|网上查", request, re.IGNORECASE), request
