"""Composed phrasing banks for the TRAINING split only: thousands of requests built from parts.

The hand-written banks (`phrasings.py`, `train_phrasings.py`) give a few dozen wordings per kind,
far too few for a small model to learn the decision (which tool, or none) rather than sentences.
Here each bank is composed from small tables and frames: word problems from items x question
frames x categories (percent, discount, tax, tip, unit price, averages, rates, time and distance,
currency, percent change, splitting a bill, area and perimeter, interest, unit conversion),
Python tasks whose code prints its result, knowledge-base / web / page requests from openers x
verbs x objects, chat with answers taken from fact tables (capitals, element symbols,
translations, unit facts, antonyms, ...), and requests no tool can serve from verb x object x time.

    composed("CALCULATOR", "en")  ->  [CalcPhrasing, ...]
    composed("CHAT", "zh")        ->  [(request, answer), ...]

The shapes are those `generate.make_*` read: `CalcPhrasing` (slots are random integers in the
given ranges), `PythonPhrasing` (slots: word, n, prime, nums, year, month, day), templates with
{topic} / {project} {attribute} / {url}, (request, answer) pairs and (request, action) pairs, the
action reading right in `phrasings.UNSERVED_ANSWERS`.

Nothing composed here may use a held-out wording or entity: every entry whose request equals, or
could be made from, a request template of `val_phrasings.py`, `test_phrasings.py` or the legacy
quarter of `phrasings.py` (`generate.is_test`), or that mentions one of their entities (web
topics, note projects, page URLs, Python words), is dropped when the banks are built (`_Guard`);
`tests/test_compose.py` checks the result, and that none of those entities appears in this file.
Deterministic (fixed seeds), built lazily and cached.
"""
from __future__ import annotations

import random
import re
from functools import lru_cache
from itertools import product
from typing import Any

from tools.scenarios.phrasings import CalcPhrasing, PythonPhrasing

LANGUAGES = ("en", "zh")
COMPOSED_BANKS = ("CALCULATOR", "PYTHON", "WEB_REQUESTS", "NOTE_REQUESTS", "PAGE_REQUESTS", "CHAT", "UNSERVED")
REQUEST_BANKS = ("CALCULATOR", "PARALLEL", "PYTHON", "WEB_REQUESTS", "NOTE_REQUESTS", "PAGE_REQUESTS", "CHAT", "UNSERVED")
"""The banks whose entries carry a request wording (as tests/test_tool_scenarios.py reads them)."""


def composed(name: str, language: str) -> list:
    """The composed entries of bank `name` in `language` ([] for a bank not composed here)."""
    if name not in COMPOSED_BANKS or language not in LANGUAGES:
        return []
    return list(_bank(name, language))


# ---- helpers -------------------------------------------------------------------------------
def _fill(text: str, **marks: str) -> str:
    """Replace composition marks «key» (generator slots in braces are left alone)."""
    for key, value in marks.items():
        text = text.replace(f"«{key}»", value)
    return text


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _expand(templates: list[str], **lists: list[str]) -> list[str]:
    """Each template with every combination of the marks it uses."""
    out = []
    for template in templates:
        keys = [key for key in lists if f"«{key}»" in template]
        for combo in product(*(lists[key] for key in keys)):
            out.append(_fill(template, **dict(zip(keys, combo))))
    return out


def _take(entries: list, cap: int, seed: str) -> list:
    """At most `cap` of `entries`, a fixed sample in their original order."""
    if len(entries) <= cap:
        return list(entries)
    keep = set(random.Random(seed).sample(range(len(entries)), cap))
    return [entry for index, entry in enumerate(entries) if index in keep]


def _unique(entries: list, key=lambda entry: entry) -> list:
    seen: set = set()
    out = []
    for entry in entries:
        k = key(entry)
        if k not in seen:
            seen.add(k)
            out.append(entry)
    return out


def request_of(entry: Any) -> str:
    """The request wording of a bank entry: a template, a phrasing's request, a pair's first item."""
    if isinstance(entry, str):
        return entry
    request = getattr(entry, "request", None)
    return request if request is not None else entry[0]


def _C(request: str, expression: str, answer: str, **slots: tuple[int, int]) -> CalcPhrasing:
    return CalcPhrasing(request, expression, answer, dict(slots))


# ---- CALCULATOR: word problems ---------------------------------------------------------------
_CURRENCIES = [("$", "dollars"), ("€", "euros"), ("£", "pounds")]
_SHOP_EN = [("jacket", (40, 300)), ("pair of trainers", (50, 250)), ("sofa", (300, 2000)), ("laptop", (400, 2500)),
            ("coffee grinder", (30, 200)), ("rug", (80, 700)), ("road bike", (300, 2500)), ("suitcase", (60, 400)),
            ("desk chair", (80, 600)), ("pair of headphones", (30, 400)), ("winter coat", (80, 500)), ("blender", (30, 250))]


def _calc_en() -> list[CalcPhrasing]:
    cats: dict[str, list[CalcPhrasing]] = {}

    def add(cat: str, *entries: CalcPhrasing) -> None:
        cats.setdefault(cat, []).extend(entries)

    for i, (item, price) in enumerate(_SHOP_EN):
        sym, cur = _CURRENCIES[i % 3]
        m = {"item": item, "sym": sym, "cur": cur}
        add("discount",
            _C(_fill("A «item» costs «sym»{a} and is {p}% off. What's the sale price?", **m), "{a} * (1 - {p}/100)",
               _fill("The sale price is «sym»{value}.", **m), a=price, p=(10, 60)),
            _C(_fill("The «item» I want is «sym»{a}, with {p}% off today. How much will I pay?", **m),
               "{a} * (1 - {p}/100)", _fill("You'll pay «sym»{value}.", **m), a=price, p=(10, 60)),
            _C(_fill("How much do I save on a «sym»{a} «item» at {p}% off?", **m), "{a} * {p} / 100",
               _fill("You save «sym»{value}.", **m), a=price, p=(10, 60)),
            _C(_fill("A «item» marked «sym»{a} gets {p}% off, then another {q}% off at the till. What's the final price?", **m),
               "{a} * (1 - {p}/100) * (1 - {q}/100)", _fill("The final price is «sym»{value}.", **m),
               a=price, p=(10, 50), q=(5, 20)),
            _C(_fill("What does a «sym»{a} «item» cost after a {p}% discount?", **m), "{a} * (1 - {p}/100)",
               _fill("After the discount it costs «sym»{value}.", **m), a=price, p=(10, 60)))
        add("tax",
            _C(_fill("The «item» is «sym»{a} before {p}% sales tax. What's the price with tax?", **m),
               "{a} * (1 + {p}/100)", _fill("With tax it comes to «sym»{value}.", **m), a=price, p=(4, 25)),
            _C(_fill("How much tax do I pay on a «sym»{a} «item» if the rate is {p}%?", **m), "{a} * {p} / 100",
               _fill("The tax is «sym»{value}.", **m), a=price, p=(4, 25)),
            _C(_fill("A «item» costs «sym»{a} including {p}% VAT. What is the price without VAT?", **m),
               "{a} / (1 + {p}/100)", _fill("Without VAT the price is «sym»{value}.", **m), a=price, p=(5, 25)))
        add("shipping",
            _C(_fill("I'm ordering a «item» for «sym»{a} plus «sym»{s} for shipping and {p}% tax on the item. "
                     "What do I pay?", **m),
               "{a} * (1 + {p}/100) + {s}", _fill("You pay «sym»{value} in total.", **m), a=price, s=(3, 40), p=(5, 20)))

    for sym, cur in _CURRENCIES:
        m = {"sym": sym, "cur": cur}
        for use, what, big in [("paycheck", "into savings", (1000, 6000)), ("bonus", "towards a holiday", (500, 10000)),
                               ("monthly budget", "on groceries", (300, 5000)), ("weekly allowance", "on books", (10, 100)),
                               ("yearly income", "on rent", (20000, 150000))]:
            add("percent", _C(_fill(f"I put {{p}}% of my «sym»{{a}} {use} {what}. How much is that?", **m), "{a} * {p} / 100",
                              _fill(f"That's «sym»{{value}} {what}.", **m), p=(5, 40), a=big))
    add("percent",
        _C("A {a} g bag of trail mix is {p}% nuts. How many grams of nuts are in it?", "{a} * {p} / 100",
           "There are {value} g of nuts.", a=(200, 1500), p=(20, 70)),
        _C("Our {a} km road trip is {p}% on the motorway. How many kilometres is that?", "{a} * {p} / 100",
           "That's {value} km on the motorway.", a=(100, 2000), p=(20, 90)),
        _C("The {a}-litre water tank is {p}% full. How many litres are in it?", "{a} * {p} / 100",
           "It holds {value} litres right now.", a=(100, 5000), p=(5, 95)),
        _C("A {a} ml bottle of juice is {p}% fruit juice. How many millilitres of juice is that?", "{a} * {p} / 100",
           "That's {value} ml of juice.", a=(250, 2000), p=(10, 100)),
        _C("My phone has {a} GB of storage and {p}% is used. How many GB are used?", "{a} * {p} / 100",
           "{value} GB are used.", a=(32, 512), p=(10, 99)),
        _C("Work out {p} percent of {a}.", "{a} * {p} / 100", "{p} percent of {a} is {value}.", p=(2, 99), a=(30, 9000)),
        _C("{a} is what percent of {b}?", "{a} / {b} * 100", "{a} is {value}% of {b}.", a=(5, 400), b=(401, 2000)),
        _C("I got {a} out of {b} questions right. What percentage is that?", "{a} / {b} * 100",
           "That's {value}%.", a=(10, 40), b=(41, 60)))

    for meal, bill in [("dinner", (30, 300)), ("lunch for two", (20, 120)), ("brunch", (20, 150)),
                       ("the team lunch", (80, 600)), ("our anniversary dinner", (60, 400)), ("the haircut", (15, 120))]:
        for sym, cur in _CURRENCIES[:2]:
            m = {"meal": meal, "sym": sym, "Meal": _cap(meal)}
            add("tip",
                _C(_fill("«Meal» came to «sym»{a}. How much should the tip be at {p}%?", **m), "{a} * {p} / 100",
                   _fill("At {p}%, the tip is «sym»{value}.", **m), a=bill, p=(10, 25)),
                _C(_fill("The bill for «meal» is «sym»{a}; with a {p}% tip, what do we pay in total?", **m),
                   "{a} * (1 + {p}/100)", _fill("With the tip you pay «sym»{value}.", **m), a=bill, p=(10, 25)))
        if meal != "the haircut":
            add("split", _C(_fill("The bill for «meal» is ${a}. We add a {p}% tip and split it between {n} of us. "
                                  "How much each?", meal=meal), "{a} * (1 + {p}/100) / {n}",
                            "Each of you pays ${value}.", a=(40, 600), p=(10, 25), n=(2, 8)))

    for sym, cur in _CURRENCIES:
        m = {"sym": sym, "cur": cur}
        add("split",
            _C(_fill("{n} of us shared a «sym»{a} dinner bill. What does each person owe?", **m), "{a} / {n}",
               _fill("Each person owes «sym»{value}.", **m), n=(2, 12), a=(40, 900)),
            _C(_fill("We're {n} friends renting a cabin for «sym»{a}. What's each person's share?", **m), "{a} / {n}",
               _fill("Each share is «sym»{value}.", **m), n=(3, 10), a=(300, 3000)),
            _C(_fill("A group gift costs «sym»{a} and {n} colleagues chip in equally. How much does each pay?", **m),
               "{a} / {n}", _fill("Each colleague pays «sym»{value}.", **m), a=(30, 400), n=(3, 20)),
            _C(_fill("Our holiday flat is «sym»{a} plus a «sym»{b} cleaning fee, split {n} ways. How much each?", **m),
               "({a} + {b}) / {n}", _fill("Each of you pays «sym»{value}.", **m), a=(300, 3000), b=(20, 150), n=(2, 8)))

    packs = [("box of {n} tea bags", "tea bag", (2, 12), (20, 100)), ("pack of {n} pens", "pen", (2, 15), (3, 12)),
             ("set of {n} wine glasses", "glass", (10, 80), (4, 8)), ("bag of {n} oranges", "orange", (2, 9), (6, 20)),
             ("{n}-pack of yoghurts", "yoghurt", (2, 8), (4, 12)), ("carton of {n} eggs", "egg", (2, 7), (6, 30)),
             ("case of {n} water bottles", "bottle", (3, 15), (12, 24)), ("bundle of {n} notebooks", "notebook", (5, 30), (3, 10))]
    for pack, unit, price, count in packs:
        add("unit_price",
            _C(f"A {pack} costs ${{a}}. How much is each {unit}?", "{a} / {n}", f"Each {unit} costs ${{value}}.",
               a=price, n=count),
            _C(f"I paid €{{a}} for a {pack}. What's the price per {unit}?", "{a} / {n}",
               f"That's €{{value}} per {unit}.", a=price, n=count))
    for goods, unit, rng in [("sack of rice", "kilo", (10, 60)), ("bag of coffee beans", "kilo", (15, 80)),
                             ("tin of paint", "litre", (15, 90)), ("wheel of cheese", "kilo", (20, 120))]:
        measure = "kg" if unit == "kilo" else "litre"
        add("unit_price", _C(f"A {{w}} {measure} {goods} costs ${{a}}. What does that come to per {unit}?", "{a} / {w}",
                             f"It comes to ${{value}} per {unit}.", w=(2, 25), a=rng))

    avg3 = [("I slept {a}, {b} and {c} hours the last three nights. What's my average?", "You slept {value} hours a night on average.", (4, 10)),
            ("Three quotes for the roof repair came in at ${a}, ${b} and ${c}. What's the average quote?", "The average quote is ${value}.", (900, 5000)),
            ("My phone bills were ${a}, ${b} and ${c} over the last three months. What's the average bill?", "Your average bill is ${value}.", (20, 90)),
            ("I walked {a}, {b} and {c} km on my three hikes. What's the mean distance?", "The mean distance is {value} km.", (5, 30)),
            ("The three bags weigh {a}, {b} and {c} kg. What's their average weight?", "Their average weight is {value} kg.", (5, 25))]
    avg4 = [("Our shop sold {a}, {b}, {c} and {d} cakes on four days. What's the average per day?", "That's {value} cakes a day on average.", (20, 120)),
            ("It was {a}, {b}, {c} and {d} °C on four afternoons. What was the average temperature?", "The average was {value} °C.", (12, 38)),
            ("The kids are {a}, {b}, {c} and {d} years old. What's their average age?", "Their average age is {value}.", (2, 17)),
            ("I ran for {a}, {b}, {c} and {d} minutes this week. What's my average run?", "Your average run is {value} minutes.", (15, 90)),
            ("Four plants grew {a}, {b}, {c} and {d} cm this month. What is the mean growth?", "The mean growth is {value} cm.", (1, 20))]
    for request, answer, r in avg3:
        add("average", _C(request, "({a} + {b} + {c}) / 3", answer, a=r, b=r, c=r))
    for request, answer, r in avg4:
        add("average", _C(request, "({a} + {b} + {c} + {d}) / 4", answer, a=r, b=r, c=r, d=r))
    add("average",
        _C("What's the average of {a}, {b}, {c} and {d}?", "({a} + {b} + {c} + {d}) / 4", "The average is {value}.",
           a=(1, 500), b=(1, 500), c=(1, 500), d=(1, 500)),
        _C("Find the mean of {a}, {b} and {c}.", "({a} + {b} + {c}) / 3", "The mean is {value}.",
           a=(1, 999), b=(1, 999), c=(1, 999)))

    for who, d, h in [("A cyclist", (40, 120), (2, 5)), ("A delivery van", (150, 450), (3, 6)), ("A runner", (15, 30), (2, 3)),
                      ("A ferry", (80, 250), (4, 8)), ("A coach", (250, 600), (4, 8))]:
        add("rate", _C(f"{who} covers {{d}} km in {{h}} hours. What's the average speed in km/h?", "{d} / {h}",
                       "The average speed is {value} km/h.", d=d, h=h))
    add("rate",
        _C("A tap fills a {l}-litre tub in {m} minutes. How many litres per minute is that?", "{l} / {m}",
           "That's {value} litres per minute.", l=(40, 300), m=(3, 30)),
        _C("A pump moves {l} litres in {h} hours. What's its flow per hour?", "{l} / {h}",
           "It moves {value} litres per hour.", l=(500, 20000), h=(2, 12)),
        _C("I earned ${a} for {h} hours of work. What's my hourly rate?", "{a} / {h}",
           "Your hourly rate is ${value}.", a=(60, 2000), h=(4, 60)),
        _C("At ${w} an hour, what do I earn for a {h}-hour week?", "{w} * {h}", "You earn ${value} that week.",
           w=(12, 60), h=(10, 45)),
        _C("My shift pays €{w} per hour. How much do I get for {h} hours plus a €{b} bonus?", "{w} * {h} + {b}",
           "You get €{value}.", w=(11, 40), h=(4, 12), b=(10, 100)),
        _C("I typed {a} words in {m} minutes. What's my typing speed in words per minute?", "{a} / {m}",
           "That's {value} words per minute.", a=(300, 3000), m=(5, 40)),
        _C("The printer did {a} pages in {m} minutes. How many pages per minute is that?", "{a} / {m}",
           "It prints {value} pages per minute.", a=(40, 600), m=(2, 30)),
        _C("I read {a} pages in {n} days. How many pages a day is that?", "{a} / {n}",
           "That's {value} pages a day.", a=(100, 900), n=(3, 30)),
        _C("A {a}-page book, {b} pages a day: how many days will it take me?", "{a} / {b}",
           "It will take {value} days.", a=(150, 900), b=(10, 60)),
        _C("I want to save ${a} and can put away ${b} a week. How many weeks will it take?", "{a} / {b}",
           "It will take {value} weeks.", a=(200, 5000), b=(20, 200)))

    add("travel",
        _C("How long does a {d} km drive take at {s} km/h?", "{d} / {s}", "It takes {value} hours.",
           d=(50, 1200), s=(50, 130)),
        _C("At {s} km/h, how many minutes do I need for {d} km?", "{d} / {s} * 60", "You need {value} minutes.",
           s=(10, 120), d=(2, 60)),
        _C("If I walk at {s} km/h for {h} hours, how far do I get?", "{s} * {h}", "You get {value} km.",
           s=(3, 7), h=(1, 9)),
        _C("A plane flies at {s} km/h for {h} hours and {m} minutes. How far does it go?", "{s} * ({h} + {m}/60)",
           "It flies {value} km.", s=(600, 950), h=(1, 12), m=(5, 55)),
        _C("I need to cover {d} km in {h} hours. What speed do I have to keep up?", "{d} / {h}",
           "You need to average {value} km/h.", d=(50, 900), h=(1, 10)),
        _C("Swimming at {s} metres a minute, how many minutes does a {d}-metre swim take?", "{d} / {s}",
           "It takes {value} minutes.", s=(20, 80), d=(400, 5000)),
        _C("A cyclist rides at {s} km/h for {m} minutes. How many kilometres is that?", "{s} * {m} / 60",
           "That's {value} km.", s=(12, 35), m=(10, 180)),
        _C("The ferry crossing is {d} km and the boat does {s} km/h. How many minutes is the crossing?",
           "{d} / {s} * 60", "The crossing takes {value} minutes.", d=(5, 80), s=(20, 60)),
        _C("My car uses {l} litres per 100 km and fuel costs €1.{c} a litre. What does a {d} km trip cost in fuel?",
           "{d} / 100 * {l} * 1.{c}", "The fuel costs €{value}.", l=(4, 12), c=(10, 99), d=(50, 1500)),
        _C("A {d} km trip in a car that does {k} km per litre: how many litres of fuel?", "{d} / {k}",
           "You need {value} litres.", d=(50, 1200), k=(8, 25)))

    add("currency",
        _C("How many euros do I get for {a} dollars at 0.{r} euros per dollar?", "{a} * 0.{r}",
           "You get {value} euros.", a=(20, 5000), r=(85, 95)),
        _C("At {r} yen to the dollar, what is {a} yen in dollars?", "{a} / {r}", "{a} yen is {value} dollars.",
           r=(105, 155), a=(1000, 90000)),
        _C("One pound is 1.{r} dollars. Convert {a} pounds to dollars.", "{a} * 1.{r}", "{a} pounds is {value} dollars.",
           r=(20, 35), a=(10, 5000)),
        _C("One US dollar buys 7.{r} yuan. How many yuan for {a} dollars?", "{a} * 7.{r}",
           "{a} dollars is {value} yuan.", r=(10, 30), a=(10, 5000)),
        _C("A hotel abroad costs {a} euros a night. At 1.{r} dollars per euro, what's that in dollars?", "{a} * 1.{r}",
           "That's {value} dollars a night.", a=(60, 400), r=(10, 20)),
        _C("I have {a} Swiss francs and one franc is 1.{r} dollars. How many dollars is that?", "{a} * 1.{r}",
           "That's {value} dollars.", a=(20, 3000), r=(10, 20)),
        _C("If one euro is 1.{r} dollars, how many euros do I get for {a} dollars?", "{a} / 1.{r}",
           "You get {value} euros.", r=(10, 20), a=(20, 5000)),
        _C("A jacket is {a} yuan and one dollar is 7.{r} yuan. What's the price in dollars?", "{a} / 7.{r}",
           "It's {value} dollars.", a=(100, 3000), r=(10, 30)))

    add("change",
        _C("The price went from ${a} to ${b}. By what percent did it rise?", "({b} - {a}) / {a} * 100",
           "It rose by {value}%.", a=(20, 99), b=(100, 180)),
        _C("My rent dropped from ${a} to ${b}. What's the percentage decrease?", "({a} - {b}) / {a} * 100",
           "That's a {value}% decrease.", a=(1500, 2500), b=(1000, 1499)),
        _C("Website visitors went up from {a} to {b} a day. What's the percent increase?", "({b} - {a}) / {a} * 100",
           "Visitors increased by {value}%.", a=(100, 999), b=(1000, 3000)),
        _C("A share fell from {a} to {b} dollars. By how many percent did it fall?", "({a} - {b}) / {a} * 100",
           "It fell by {value}%.", a=(50, 200), b=(10, 49)),
        _C("Sales were {a} units last year and {b} this year. What's the percent change?", "({b} - {a}) / {a} * 100",
           "Sales changed by {value}%.", a=(100, 400), b=(401, 900)),
        _C("My weight went from {a} kg to {b} kg. What percent did I lose?", "({a} - {b}) / {a} * 100",
           "You lost {value}% of your weight.", a=(80, 120), b=(60, 79)),
        _C("A {a}-dollar monthly bill rises by {p}%. What is the new bill?", "{a} * (1 + {p}/100)",
           "The new bill is {value} dollars.", a=(20, 300), p=(2, 30)))

    add("geometry",
        _C("My garden is {a} m by {b} m. How much fencing do I need to go all the way round?", "2 * ({a} + {b})",
           "You need {value} m of fencing.", a=(5, 60), b=(5, 60)),
        _C("A room measures {a} m by {b} m. How many square metres of flooring do I need?", "{a} * {b}",
           "You need {value} square metres.", a=(2, 12), b=(2, 12)),
        _C("What's the area of a round table with a radius of {r} cm?", "pi * {r}^2",
           "The area is about {value} cm².", r=(30, 90)),
        _C("How far is it round a circular pond with a radius of {r} m?", "2 * pi * {r}",
           "It's about {value} m round.", r=(2, 40)),
        _C("A triangular sail has a base of {b} m and a height of {h} m. What's its area?", "{b} * {h} / 2",
           "The sail's area is {value} m².", b=(2, 15), h=(3, 25)),
        _C("A square tile has sides of {a} cm. What's its area?", "{a}^2", "Its area is {value} cm².", a=(5, 60)),
        _C("How many hectares is a field {a} m long and {b} m wide?", "{a} * {b} / 10000",
           "It's {value} hectares.", a=(50, 900), b=(50, 900)),
        _C("I'm painting a wall {a} m wide and {h} m high, and a litre of paint covers {c} m². How many litres do I need?",
           "{a} * {h} / {c}", "You need {value} litres.", a=(2, 15), h=(2, 4), c=(6, 14)),
        _C("What's the perimeter of a square plot with {a} m sides?", "4 * {a}", "The perimeter is {value} m.", a=(5, 200)),
        _C("How much border do I need for a circular rug {d} cm across?", "pi * {d}",
           "You need about {value} cm of border.", d=(60, 300)))

    add("interest",
        _C("I invest ${a} at {p}% simple interest for {n} years. How much interest do I earn?", "{a} * {p} / 100 * {n}",
           "You earn ${value} in interest.", a=(500, 50000), p=(1, 9), n=(2, 10)),
        _C("What will €{a} grow to after {n} years at {p}% simple interest?", "{a} * (1 + {p} / 100 * {n})",
           "It grows to €{value}.", a=(500, 50000), n=(2, 10), p=(1, 9)),
        _C("A loan of £{a} charges {p}% a year, simple interest. What's owed in total after {n} years?",
           "{a} * (1 + {p} / 100 * {n})", "You owe £{value} in total.", a=(500, 20000), p=(2, 15), n=(1, 6)),
        _C("${a} at {p}% a year, compounded yearly, for {n} years: how much do I end up with?", "{a} * (1 + {p}/100)^{n}",
           "You end up with ${value}.", a=(500, 50000), p=(1, 9), n=(2, 15)),
        _C("My savings account pays {p}% a year. How much interest does ${a} earn in one year?", "{a} * {p} / 100",
           "It earns ${value} in a year.", p=(1, 6), a=(200, 40000)))

    add("units",
        _C("How many kilometres is {a} miles?", "{a} * 1.609344", "{a} miles is {value} km.", a=(1, 500)),
        _C("Convert {a} kilometres to miles.", "{a} / 1.609344", "{a} km is {value} miles.", a=(1, 800)),
        _C("How many pounds is {a} kg?", "{a} / 0.45359237", "{a} kg is {value} pounds.", a=(1, 150)),
        _C("What is {a} pounds in kilograms?", "{a} * 0.45359237", "{a} pounds is {value} kg.", a=(1, 300)),
        _C("How many centimetres is {a} inches?", "{a} * 2.54", "{a} inches is {value} cm.", a=(1, 100)),
        _C("I'm {f} feet {i} inches tall. What's that in centimetres?", "({f} * 12 + {i}) * 2.54",
           "That's {value} cm.", f=(4, 6), i=(0, 11)),
        _C("Convert {f} °F to Celsius.", "({f} - 32) * 5 / 9", "{f} °F is {value} °C.", f=(-10, 110)),
        _C("How many litres is {a} US gallons?", "{a} * 3.785411784", "{a} US gallons is {value} litres.", a=(1, 60)),
        _C("How many hours is {m} minutes?", "{m} / 60", "{m} minutes is {value} hours.", m=(61, 1000)),
        _C("How many seconds are in {h} hours?", "{h} * 3600", "There are {value} seconds in {h} hours.", h=(2, 48)),
        _C("What is {a} metres in feet?", "{a} / 0.3048", "{a} m is {value} feet.", a=(1, 500)),
        _C("How many grams is {a} ounces?", "{a} * 28.349523125", "{a} ounces is {value} g.", a=(1, 64)),
        _C("How many days is {h} hours?", "{h} / 24", "{h} hours is {value} days.", h=(25, 1000)),
        _C("How many weeks are {d} days?", "{d} / 7", "{d} days is {value} weeks.", d=(8, 400)),
        _C("What's {a} square feet in square metres?", "{a} * 0.09290304", "{a} sq ft is {value} m².", a=(100, 5000)),
        _C("What is {s} km/h in metres per second?", "{s} / 3.6", "{s} km/h is {value} m/s.", s=(5, 300)),
        _C("Convert {s} mph to km/h.", "{s} * 1.609344", "{s} mph is {value} km/h.", s=(5, 90)),
        _C("How many millilitres are in {a} litres?", "{a} * 1000", "{a} litres is {value} ml.", a=(2, 75)))

    add("misc",
        _C("We're taking {p} people on a trip and each minibus seats {b}. How many minibuses do we need?",
           "ceil({p} / {b})", "You need {value} minibuses.", p=(20, 200), b=(8, 16)),
        _C("A recipe for {n} people needs {g} g of flour. How much flour for {m} people?", "{g} / {n} * {m}",
           "You need {value} g of flour.", n=(2, 6), g=(150, 800), m=(3, 20)),
        _C("My streaming plan is ${a} a month. What does it cost over a year?", "{a} * 12",
           "It costs ${value} a year.", a=(5, 25)),
        _C("A gym charges ${a} a month, or {p}% less if I pay for a year up front. What's the yearly price?",
           "{a} * 12 * (1 - {p}/100)", "Paying up front costs ${value} a year.", a=(20, 90), p=(5, 30)),
        _C("I buy {n} coffees a week at €{c}.{d}0 each. How much do I spend in {w} weeks?",
           "{n} * {c}.{d}0 * {w}", "You spend €{value}.", n=(2, 14), c=(2, 5), d=(1, 9), w=(2, 52)),
        _C("A box holds {b} books. How many boxes do I need for {n} books?", "ceil({n} / {b})",
           "You need {value} boxes.", b=(10, 40), n=(50, 900)),
        _C("{n} tiles come in packs of {b}. How many packs do I have to buy?", "ceil({n} / {b})",
           "You have to buy {value} packs.", n=(30, 600), b=(6, 25)),
        _C("I used {k} kWh of electricity at {c} cents per kWh. What's the bill in dollars?",
           "{k} * {c} / 100", "The bill is {value} dollars.", k=(100, 1500), c=(10, 45)),
        _C("I start work at {a} am and finish at {b} pm. How many hours is that?", "{b} + 12 - {a}",
           "That's {value} hours.", a=(6, 10), b=(2, 8)),
        _C("A {a} ml bottle of shampoo lasts me {n} days. How many ml do I use a day?", "{a} / {n}",
           "You use {value} ml a day.", a=(200, 1000), n=(20, 90)))

    return [entry for cat, entries in cats.items() for entry in _take(entries, 30, f"calc-en-{cat}")]


_SHOP_ZH = [("衬衫", "件", (80, 400)), ("运动鞋", "双", (200, 1200)), ("沙发", "张", (1500, 9000)),
            ("笔记本电脑", "台", (3000, 12000)), ("电饭煲", "个", (150, 900)), ("行李箱", "个", (200, 1500)),
            ("台灯", "盏", (50, 400)), ("自行车", "辆", (400, 3000)), ("羽绒服", "件", (300, 2500)),
            ("耳机", "副", (100, 1500)), ("空气炸锅", "个", (200, 800)), ("书包", "个", (80, 500))]


def _calc_zh() -> list[CalcPhrasing]:
    cats: dict[str, list[CalcPhrasing]] = {}

    def add(cat: str, *entries: CalcPhrasing) -> None:
        cats.setdefault(cat, []).extend(entries)

    for item, mw, price in _SHOP_ZH:
        m = {"item": item, "mw": mw}
        add("discount",
            _C(_fill("«item»原价{a}元，现在打{k}折，要付多少钱？", **m), "{a} * {k} / 10", "打完折要付{value}元。",
               a=price, k=(5, 9)),
            _C(_fill("这«mw»«item»标价{a}元，打{k}.{j}折以后多少钱？", **m), "{a} * {k}.{j} / 10", "打折后是{value}元。",
               a=price, k=(6, 9), j=(1, 9)),
            _C(_fill("«item»{a}元，直降{p}%，现在卖多少？", **m), "{a} * (1 - {p}/100)", "现在卖{value}元。",
               a=price, p=(5, 50)),
            _C(_fill("原价{a}元的«item»打{k}折，能省下多少钱？", **m), "{a} * (10 - {k}) / 10", "能省{value}元。",
               a=price, k=(5, 9)),
            _C(_fill("{a}元的«item»先打{k}折，会员再打{m}折，最后付多少？", **m), "{a} * {k} / 10 * {m} / 10",
               "最后要付{value}元。", a=price, k=(7, 9), m=(8, 9)))
        add("tax",
            _C(_fill("一«mw»«item»不含税{a}元，税率{p}%，含税价多少？", **m), "{a} * (1 + {p}/100)", "含税价是{value}元。",
               a=price, p=(3, 13)),
            _C(_fill("«item»含税价{a}元，税率{p}%，不含税的价格是多少？", **m), "{a} / (1 + {p}/100)",
               "不含税价是{value}元。", a=price, p=(3, 13)),
            _C(_fill("买一«mw»{a}元的«item»，按{p}%交税，税额是多少？", **m), "{a} * {p} / 100", "税额是{value}元。",
               a=price, p=(3, 13)))
        add("shipping", _C(_fill("网上买了一«mw»{a}元的«item»，运费{s}元，再用一张{c}元的优惠券，实付多少？", **m),
                           "{a} + {s} - {c}", "实付{value}元。", a=price, s=(5, 30), c=(5, 50)))

    add("percent",
        _C("我每月工资{a}元，拿出{p}%来存，一个月存多少？", "{a} * {p} / 100", "每个月存{value}元。", a=(3000, 30000), p=(5, 40)),
        _C("{a}克的坚果礼包里{p}%是腰果，腰果有多少克？", "{a} * {p} / 100", "腰果有{value}克。", a=(200, 1500), p=(10, 60)),
        _C("这桶{a}升的油已经用掉了{p}%，用了多少升？", "{a} * {p} / 100", "用了{value}升。", a=(5, 20), p=(10, 90)),
        _C("班费{a}元，其中{p}%用来买图书，买书花了多少？", "{a} * {p} / 100", "买书花了{value}元。", a=(500, 5000), p=(10, 60)),
        _C("手机存储{a}G，已经用了{p}%，用了多少G？", "{a} * {p} / 100", "已经用了{value}G。", a=(64, 512), p=(10, 99)),
        _C("算一下{a}的百分之{p}。", "{a} * {p} / 100", "{a}的百分之{p}是{value}。", a=(30, 9000), p=(2, 99)),
        _C("{a}占{b}的百分之几？", "{a} / {b} * 100", "{a}占{b}的{value}%。", a=(5, 400), b=(401, 2000)),
        _C("{b}道题我做对了{a}道，正确率是多少？", "{a} / {b} * 100", "正确率是{value}%。", a=(10, 40), b=(41, 60)),
        _C("年终奖{a}元，拿{p}%出来孝敬爸妈，是多少钱？", "{a} * {p} / 100", "是{value}元。", a=(5000, 80000), p=(5, 30)),
        _C("一瓶{a}毫升的果汁，果汁含量{p}%，纯果汁有多少毫升？", "{a} * {p} / 100", "纯果汁有{value}毫升。",
           a=(250, 2000), p=(10, 100)))

    for meal in ["这顿饭", "年夜饭", "同学聚餐", "公司团建晚饭", "生日宴"]:
        add("service",
            _C(f"{meal}消费{{a}}元，另收{{p}}%服务费，一共多少？", "{a} * (1 + {p}/100)", "一共{value}元。",
               a=(200, 5000), p=(5, 15)),
            _C(f"{meal}花了{{a}}元，加{{p}}%服务费后{{n}}个人平摊，每人多少？", "{a} * (1 + {p}/100) / {n}",
               "每人{value}元。", a=(200, 5000), p=(5, 15), n=(2, 12)))
    add("split",
        _C("聚餐一共花了{a}元，{n}个人AA，每人出多少？", "{a} / {n}", "每人出{value}元。", a=(200, 3000), n=(2, 12)),
        _C("{n}个同事凑钱买一份{a}元的礼物，每人摊多少？", "{a} / {n}", "每人摊{value}元。", n=(3, 20), a=(100, 2000)),
        _C("民宿{a}元加清洁费{b}元，{n}个人平摊，每人多少？", "({a} + {b}) / {n}", "每人{value}元。",
           a=(400, 4000), b=(30, 200), n=(2, 8)),
        _C("我们{n}个人合租，月租{a}元，每人每月交多少？", "{a} / {n}", "每人每月交{value}元。", n=(2, 5), a=(2000, 12000)),
        _C("包车出游{a}元，{n}个人分，每人要出多少？", "{a} / {n}", "每人出{value}元。", a=(300, 3000), n=(3, 15)),
        _C("水电燃气这个月一共{a}元，宿舍{n}个人平分，每人多少？", "{a} / {n}", "每人{value}元。", a=(100, 800), n=(2, 8)))

    for goods, unit, count, price in [("一箱{n}瓶矿泉水", "瓶", (12, 24), (20, 60)), ("一盒{n}个鸡蛋", "个", (6, 30), (8, 40)),
                                      ("一提{n}卷纸巾", "卷", (6, 27), (15, 60)), ("一袋{n}个橙子", "个", (4, 12), (10, 40)),
                                      ("一套{n}本绘本", "本", (5, 20), (50, 300)), ("一包{n}支签字笔", "支", (5, 20), (10, 40))]:
        add("unit_price",
            _C(f"{goods}{{a}}元，一{unit}多少钱？", "{a} / {n}", f"一{unit}{{value}}元。", n=count, a=price),
            _C(f"花{{a}}元买了{goods}，平均每{unit}多少钱？", "{a} / {n}", f"平均每{unit}{{value}}元。", n=count, a=price))
    add("unit_price",
        _C("{w}斤苹果卖{a}元，一斤多少钱？", "{a} / {w}", "一斤{value}元。", w=(2, 10), a=(10, 80)),
        _C("一袋{w}公斤的大米{a}元，每公斤多少钱？", "{a} / {w}", "每公斤{value}元。", w=(5, 25), a=(30, 200)),
        _C("一桶{w}升的油卖{a}元，每升多少钱？", "{a} / {w}", "每升{value}元。", w=(2, 10), a=(30, 200)),
        _C("{w}斤排骨{a}元，合多少钱一斤？", "{a} / {w}", "合{value}元一斤。", w=(2, 6), a=(40, 200)))

    add("average",
        _C("四天的最高气温分别是{a}、{b}、{c}、{d}度，平均多少度？", "({a} + {b} + {c} + {d}) / 4", "平均{value}度。",
           a=(10, 38), b=(10, 38), c=(10, 38), d=(10, 38)),
        _C("小明三次跳绳分别跳了{a}、{b}、{c}个，平均每次多少个？", "({a} + {b} + {c}) / 3", "平均每次{value}个。",
           a=(80, 200), b=(80, 200), c=(80, 200)),
        _C("最近三个月的电费是{a}元、{b}元和{c}元，平均每月多少？", "({a} + {b} + {c}) / 3", "平均每月{value}元。",
           a=(80, 500), b=(80, 500), c=(80, 500)),
        _C("四个西瓜分别重{a}、{b}、{c}、{d}斤，平均一个多重？", "({a} + {b} + {c} + {d}) / 4", "平均一个{value}斤。",
           a=(6, 20), b=(6, 20), c=(6, 20), d=(6, 20)),
        _C("三家装修公司报价{a}元、{b}元、{c}元，平均报价是多少？", "({a} + {b} + {c}) / 3", "平均报价{value}元。",
           a=(30000, 90000), b=(30000, 90000), c=(30000, 90000)),
        _C("家里四口人的年龄是{a}、{b}、{c}、{d}岁，平均年龄多大？", "({a} + {b} + {c} + {d}) / 4", "平均年龄{value}岁。",
           a=(35, 60), b=(35, 60), c=(3, 18), d=(3, 18)),
        _C("这四周我每周跑了{a}、{b}、{c}、{d}公里，平均每周多少公里？", "({a} + {b} + {c} + {d}) / 4",
           "平均每周{value}公里。", a=(5, 50), b=(5, 50), c=(5, 50), d=(5, 50)),
        _C("三天卖出的奶茶是{a}杯、{b}杯、{c}杯，平均每天卖多少杯？", "({a} + {b} + {c}) / 3", "平均每天{value}杯。",
           a=(50, 400), b=(50, 400), c=(50, 400)),
        _C("求{a}、{b}、{c}、{d}这四个数的平均数。", "({a} + {b} + {c} + {d}) / 4", "平均数是{value}。",
           a=(1, 500), b=(1, 500), c=(1, 500), d=(1, 500)),
        _C("{a}、{b}、{c}三个数的平均值是多少？", "({a} + {b} + {c}) / 3", "平均值是{value}。",
           a=(1, 999), b=(1, 999), c=(1, 999)))

    add("rate",
        _C("骑车{h}小时骑了{d}公里，平均每小时骑多少公里？", "{d} / {h}", "平均每小时{value}公里。", h=(2, 5), d=(40, 100)),
        _C("货车{h}个小时跑了{d}公里，平均时速多少？", "{d} / {h}", "平均时速{value}公里。", h=(3, 10), d=(200, 800)),
        _C("水龙头{m}分钟放了{l}升水，每分钟多少升？", "{l} / {m}", "每分钟{value}升。", m=(3, 30), l=(40, 300)),
        _C("抽水机{h}小时抽了{l}吨水，每小时抽多少吨？", "{l} / {h}", "每小时{value}吨。", h=(2, 12), l=(20, 900)),
        _C("干了{h}个小时挣了{a}元，时薪是多少？", "{a} / {h}", "时薪是{value}元。", h=(4, 60), a=(100, 3000)),
        _C("时薪{w}元，这周干了{h}小时，能挣多少？", "{w} * {h}", "能挣{value}元。", w=(20, 80), h=(10, 45)),
        _C("兼职每小时{w}元，做了{h}小时，另外有{b}元全勤奖，一共拿多少？", "{w} * {h} + {b}", "一共拿{value}元。",
           w=(20, 60), h=(20, 120), b=(50, 300)),
        _C("{m}分钟打了{a}个字，每分钟打多少字？", "{a} / {m}", "每分钟{value}字。", m=(5, 40), a=(300, 3000)),
        _C("一本{a}页的书，每天看{b}页，要看多少天？", "{a} / {b}", "要看{value}天。", a=(150, 900), b=(10, 60)),
        _C("想攒够{a}元，每周存{b}元，要存多少周？", "{a} / {b}", "要存{value}周。", a=(1000, 20000), b=(100, 1000)),
        _C("{n}天看完了{a}页书，平均每天看多少页？", "{a} / {n}", "平均每天看{value}页。", n=(3, 30), a=(100, 900)))

    add("travel",
        _C("回老家有{d}公里，开车平均时速{s}公里，要开几个小时？", "{d} / {s}", "要开{value}个小时。",
           d=(100, 1500), s=(60, 110)),
        _C("以每小时{s}公里的速度走{h}小时，能走多远？", "{s} * {h}", "能走{value}公里。", s=(3, 7), h=(1, 9)),
        _C("{d}公里的路，骑车每小时{s}公里，要骑多少分钟？", "{d} / {s} * 60", "要骑{value}分钟。", d=(2, 40), s=(10, 25)),
        _C("飞机时速{s}公里，飞了{h}小时{m}分钟，一共飞了多远？", "{s} * ({h} + {m}/60)", "一共飞了{value}公里。",
           s=(600, 950), h=(1, 12), m=(5, 55)),
        _C("要在{h}小时内赶完{d}公里，车速至少得多少？", "{d} / {h}", "平均时速至少{value}公里。", h=(1, 10), d=(50, 900)),
        _C("游泳每分钟游{s}米，游{d}米要多少分钟？", "{d} / {s}", "要{value}分钟。", s=(20, 80), d=(400, 3000)),
        _C("百公里油耗{l}升，油价每升7.{c}元，开{d}公里要花多少油钱？", "{d} / 100 * {l} * 7.{c}", "要花{value}元油钱。",
           l=(5, 12), c=(10, 99), d=(50, 1500)),
        _C("电车百公里耗电{k}度，电价每度{c}毛，跑{d}公里电费多少元？", "{d} / 100 * {k} * {c} / 10", "电费{value}元。",
           k=(12, 20), c=(3, 9), d=(50, 1500)),
        _C("轮渡航线{d}公里，船速每小时{s}公里，过一趟要多少分钟？", "{d} / {s} * 60", "要{value}分钟。",
           d=(5, 80), s=(20, 60)),
        _C("跑步配速每公里{m}分钟，跑{d}公里要多少分钟？", "{m} * {d}", "要跑{value}分钟。", m=(4, 9), d=(3, 42)))

    add("currency",
        _C("1美元兑7.{r}元人民币，{a}美元能换多少人民币？", "{a} * 7.{r}", "能换{value}元人民币。", r=(10, 30), a=(10, 5000)),
        _C("1欧元约合7.{r}元人民币，{a}元人民币能换多少欧元？", "{a} / 7.{r}", "能换{value}欧元。", r=(60, 99), a=(100, 20000)),
        _C("1日元约合0.0{r}元人民币，{a}日元大概是多少人民币？", "{a} * 0.0{r}", "大约是{value}元人民币。",
           r=(45, 55), a=(1000, 200000)),
        _C("1港币兑0.{r}元人民币，{a}港币能换多少人民币？", "{a} * 0.{r}", "能换{value}元人民币。", r=(88, 93), a=(100, 20000)),
        _C("1英镑兑9.{r}元人民币，{a}英镑是多少人民币？", "{a} * 9.{r}", "是{value}元人民币。", r=(10, 40), a=(10, 5000)),
        _C("在国外买了一件{a}美元的外衣，按1美元兑7.{r}元算，合人民币多少？", "{a} * 7.{r}", "合人民币{value}元。",
           a=(30, 600), r=(10, 30)),
        _C("手上有{a}元人民币，1美元兑7.{r}元，能换多少美元？", "{a} / 7.{r}", "能换{value}美元。", a=(500, 50000), r=(10, 30)),
        _C("酒店每晚{a}欧元，1欧元按7.{r}元算，住{n}晚要多少人民币？", "{a} * {n} * 7.{r}", "要{value}元人民币。",
           a=(60, 300), n=(2, 7), r=(60, 99)))

    add("change",
        _C("房租从{a}元涨到{b}元，涨了百分之几？", "({b} - {a}) / {a} * 100", "涨了{value}%。", a=(1500, 3000), b=(3001, 4000)),
        _C("股价从{a}元跌到{b}元，跌了百分之多少？", "({a} - {b}) / {a} * 100", "跌了{value}%。", a=(50, 200), b=(10, 49)),
        _C("今年营业额{b}万元，去年{a}万元，同比增长了多少？", "({b} - {a}) / {a} * 100", "同比增长{value}%。",
           a=(100, 400), b=(401, 900)),
        _C("体重从{a}公斤减到了{b}公斤，减了百分之几？", "({a} - {b}) / {a} * 100", "减了{value}%。", a=(80, 120), b=(60, 79)),
        _C("公众号粉丝从{a}个涨到{b}个，增长率是多少？", "({b} - {a}) / {a} * 100", "增长率是{value}%。",
           a=(100, 999), b=(1000, 5000)),
        _C("每月话费{a}元，下个月起上调{p}%，调整后每月多少？", "{a} * (1 + {p}/100)", "调整后每月{value}元。",
           a=(20, 300), p=(2, 30)),
        _C("这款手机从{a}元降到{b}元，降价幅度是多少？", "({a} - {b}) / {a} * 100", "降价幅度是{value}%。",
           a=(3000, 8000), b=(1500, 2999)))

    add("geometry",
        _C("院子长{a}米、宽{b}米，围一圈篱笆要多长？", "2 * ({a} + {b})", "篱笆要{value}米。", a=(5, 60), b=(5, 60)),
        _C("卧室长{a}米宽{b}米，铺地板要多少平方米？", "{a} * {b}", "要铺{value}平方米。", a=(2, 8), b=(2, 8)),
        _C("半径{r}厘米的圆桌，桌面面积是多少？", "pi * {r}^2", "桌面面积约{value}平方厘米。", r=(30, 90)),
        _C("圆形花坛半径{r}米，绕一圈有多长？", "2 * pi * {r}", "一圈约{value}米。", r=(2, 40)),
        _C("三角形的底是{b}厘米、高是{h}厘米，面积多少？", "{b} * {h} / 2", "面积是{value}平方厘米。", b=(2, 60), h=(2, 60)),
        _C("边长{a}厘米的正方形瓷砖，面积是多少？", "{a}^2", "面积是{value}平方厘米。", a=(5, 80)),
        _C("一块地长{a}米宽{b}米，合多少亩？", "{a} * {b} * 15 / 10000", "合{value}亩。", a=(20, 300), b=(20, 300)),
        _C("刷一面宽{a}米、高{h}米的墙，每升漆能刷{c}平方米，要几升漆？", "{a} * {h} / {c}", "要{value}升漆。",
           a=(2, 15), h=(2, 4), c=(6, 14)),
        _C("正方形菜地边长{a}米，周长多少？", "4 * {a}", "周长是{value}米。", a=(3, 100)),
        _C("直径{d}厘米的圆形地毯，要包多长的边？", "pi * {d}", "要包约{value}厘米的边。", d=(60, 300)))

    add("interest",
        _C("{a}元存{n}年定期，年利率{p}.{q}%，按单利算利息多少？", "{a} * {p}.{q} / 100 * {n}", "利息是{value}元。",
           a=(1000, 200000), n=(2, 5), p=(1, 3), q=(1, 9)),
        _C("{a}元存{n}年，年利率{p}.{q}%，单利计算，到期本息一共多少？", "{a} * (1 + {p}.{q} / 100 * {n})",
           "到期本息一共{value}元。", a=(1000, 200000), n=(2, 5), p=(1, 3), q=(1, 9)),
        _C("{a}元按年复利{p}%存{n}年，最后有多少？", "{a} * (1 + {p}/100)^{n}", "最后有{value}元。",
           a=(1000, 100000), p=(1, 6), n=(2, 20)),
        _C("借了{a}元，年利率{p}%，单利，{n}年后连本带息要还多少？", "{a} * (1 + {p} / 100 * {n})", "一共要还{value}元。",
           a=(5000, 200000), p=(3, 12), n=(1, 5)),
        _C("余额宝里有{a}元，年化收益{p}.{q}%，一年大概能赚多少？", "{a} * {p}.{q} / 100", "一年大概能赚{value}元。",
           a=(1000, 100000), p=(1, 2), q=(1, 9)))

    add("units",
        _C("{a}斤是多少公斤？", "{a} / 2", "{a}斤是{value}公斤。", a=(1, 300)),
        _C("{a}公斤等于多少斤？", "{a} * 2", "{a}公斤等于{value}斤。", a=(1, 150)),
        _C("{a}英里是多少公里？", "{a} * 1.609344", "{a}英里是{value}公里。", a=(1, 500)),
        _C("{a}英寸的电视，屏幕对角线是多少厘米？", "{a} * 2.54", "对角线约{value}厘米。", a=(32, 100)),
        _C("华氏{f}度是摄氏多少度？", "({f} - 32) * 5 / 9", "华氏{f}度是摄氏{value}度。", f=(-10, 110)),
        _C("{a}平方米是多少亩？", "{a} * 15 / 10000", "{a}平方米是{value}亩。", a=(100, 50000)),
        _C("{a}亩地是多少平方米？", "{a} * 10000 / 15", "{a}亩是{value}平方米。", a=(1, 200)),
        _C("{m}分钟是几个小时？", "{m} / 60", "{m}分钟是{value}小时。", m=(61, 1000)),
        _C("{a}毫升是多少升？", "{a} / 1000", "{a}毫升是{value}升。", a=(100, 20000)),
        _C("{a}磅是多少公斤？", "{a} * 0.45359237", "{a}磅约{value}公斤。", a=(1, 300)),
        _C("时速{s}公里是每秒多少米？", "{s} / 3.6", "是每秒{value}米。", s=(5, 350)),
        _C("{a}两是多少克？", "{a} * 50", "{a}两是{value}克。", a=(1, 40)),
        _C("{a}尺是多少米？", "{a} / 3", "{a}尺是{value}米。", a=(1, 60)),
        _C("{a}公顷是多少平方米？", "{a} * 10000", "{a}公顷是{value}平方米。", a=(2, 500)),
        _C("{h}个小时是多少秒？", "{h} * 3600", "{h}小时是{value}秒。", h=(2, 48)),
        _C("{d}天是几周？", "{d} / 7", "{d}天是{value}周。", d=(8, 400)),
        _C("{a}平方英尺合多少平方米？", "{a} * 0.09290304", "合{value}平方米。", a=(100, 5000)),
        _C("{a}盎司是多少克？", "{a} * 28.349523125", "{a}盎司约{value}克。", a=(1, 64)))

    add("misc",
        _C("这单一共{a}元，参加满{b}减{c}活动，实付多少？", "{a} - {c}", "实付{value}元。", a=(300, 600), b=(200, 300), c=(20, 60)),
        _C("{p}个人出去玩，每辆车坐{b}人，至少要几辆车？", "ceil({p} / {b})", "至少要{value}辆车。", p=(10, 100), b=(4, 7)),
        _C("{n}个人的量要用{g}克面粉，做{m}个人的要多少克？", "{g} / {n} * {m}", "要{value}克面粉。",
           n=(2, 6), g=(150, 800), m=(3, 20)),
        _C("视频会员每月{a}元，包年打{k}折，一年多少钱？", "{a} * 12 * {k} / 10", "一年{value}元。", a=(15, 30), k=(6, 9)),
        _C("一个箱子装{b}本书，{n}本书要几个箱子？", "ceil({n} / {b})", "要{value}个箱子。", b=(10, 40), n=(50, 900)),
        _C("铺地要{n}块砖，一包{b}块，得买几包？", "ceil({n} / {b})", "得买{value}包。", n=(30, 600), b=(6, 25)),
        _C("这个月用电{k}度，每度电{c}毛，电费多少元？", "{k} * {c} / 10", "电费{value}元。", k=(100, 1500), c=(4, 9)),
        _C("早上{a}点上班，下午{b}点下班，一天上几个小时班？", "{b} + 12 - {a}", "一天上{value}个小时班。", a=(7, 10), b=(4, 7)),
        _C("一瓶{a}毫升的洗发水用了{n}天，平均每天用多少毫升？", "{a} / {n}", "平均每天用{value}毫升。",
           a=(200, 1000), n=(20, 90)),
        _C("每天喝{n}杯咖啡，每杯{c}元，一个月{d}天要花多少？", "{n} * {c} * {d}", "要花{value}元。",
           n=(1, 4), c=(9, 35), d=(28, 31)))

    return [entry for cat, entries in cats.items() for entry in _take(entries, 30, f"calc-zh-{cat}")]


# ---- PYTHON: tasks whose code prints its result ------------------------------------------------
_ROMAN = ("vals = [(1000, 'M'), (900, 'CM'), (500, 'D'), (400, 'CD'), (100, 'C'), (90, 'XC'), (50, 'L'), (40, 'XL'),\n"
          "        (10, 'X'), (9, 'IX'), (5, 'V'), (4, 'IV'), (1, 'I')]\nn, out = {prime}, ''\nfor v, s in vals:\n"
          "    while n >= v:\n        out += s\n        n -= v\nprint(out)")
_NEXT_PRIME = ("n = {prime} + 1\nwhile any(n % d == 0 for d in range(2, int(n ** 0.5) + 1)):\n    n += 1\nprint(n)")
_COLLATZ = "n, steps = {n}, 0\nwhile n != 1:\n    n = n // 2 if n % 2 == 0 else 3 * n + 1\n    steps += 1\nprint(steps)"
_NTH_PRIME = "primes = [p for p in range(2, 200) if all(p % d for d in range(2, p))]\nprint(primes[{n} - 1])"
_FIB_N = "a, b = 0, 1\nfor _ in range({n}):\n    a, b = b, a + b\nprint(a)"
_TABLE = "for k in range(1, 10):\n    print({n}, 'x', k, '=', {n} * k)"
_DATE = "import datetime\nd = datetime.date({year}, {month}, {day})\n"

# (code, English requests, English answer, Chinese requests, Chinese answer)
_PY_TASKS: list[tuple[str, list[str], str, list[str], str]] = [
    ("print(len('{word}'))",
     ["How many letters are in '{word}'? Count them with Python.", "Use Python's len() on '{word}' and tell me the result."],
     "'{word}' has {value} letters.",
     ["用 Python 数一下 '{word}' 有几个字母。", "'{word}' 这个词有多长？用 len() 算一下。"], "'{word}' 一共有 {value} 个字母。"),
    ("print(len(set('{word}')))",
     ["With Python, count how many different letters '{word}' uses.", "Run code to find the number of distinct characters in '{word}'."],
     "'{word}' uses {value} different letters.",
     ["写段代码算算 '{word}' 里有几种不同的字母。", "用 Python 统计 '{word}' 中不重复的字符个数。"], "'{word}' 里有 {value} 种不同的字母。"),
    ("print(sum(ch not in 'aeiou' for ch in '{word}'))",
     ["Count the consonants in '{word}' using Python.", "Write a line of Python that counts the non-vowel letters in '{word}'."],
     "'{word}' has {value} consonants.",
     ["用 Python 数一数 '{word}' 里有几个辅音字母。", "跑段代码，统计 '{word}' 里不是元音的字母有几个。"], "'{word}' 里有 {value} 个辅音字母。"),
    ("import codecs\nprint(codecs.encode('{word}', 'rot13'))",
     ["Apply ROT13 to '{word}' in Python.", "Encode '{word}' with ROT13 using code and show me the output."],
     "ROT13 turns '{word}' into '{value}'.",
     ["用 Python 对 '{word}' 做 ROT13 编码。", "写代码把 '{word}' 用 ROT13 加密一下。"], "ROT13 编码后是 '{value}'。"),
    ("print(''.join(chr((ord(c) - 97 + 3) % 26 + 97) for c in '{word}'))",
     ["Shift every letter of '{word}' three places along the alphabet (a Caesar cipher) with Python.",
      "Run a Caesar cipher with a shift of 3 on '{word}'."],
     "With a shift of 3, '{word}' becomes '{value}'.",
     ["用 Python 给 '{word}' 做凯撒加密，每个字母往后移 3 位。", "写段凯撒密码的代码，把 '{word}' 右移三位。"],
     "右移三位后变成 '{value}'。"),
    ("print([ord(c) for c in '{word}'])",
     ["Print the ASCII codes of the letters in '{word}' with Python.", "Use code to list the character codes of '{word}'."],
     "The codes are {value}.",
     ["用 Python 输出 '{word}' 每个字母的 ASCII 码。", "写代码列出 '{word}' 各字符的编码值。"], "各字母的 ASCII 码是 {value}。"),
    ("from collections import Counter\nprint(Counter('{word}').most_common(1)[0])",
     ["Which letter appears most often in '{word}'? Find it with Python.",
      "Use collections.Counter to get the most common letter in '{word}'."],
     "The most common letter and its count: {value}.",
     ["'{word}' 里出现次数最多的是哪个字母？用 Python 找一下。", "用 Counter 统计 '{word}'，输出出现最多的字母。"],
     "出现最多的字母及次数：{value}。"),
    ("import base64\nprint(base64.b64encode('{word}'.encode()).decode())",
     ["Base64-encode the word '{word}' with Python.", "Run code that prints '{word}' in Base64."],
     "In Base64, '{word}' is {value}.",
     ["用 Python 把 '{word}' 转成 Base64。", "写代码输出 '{word}' 的 Base64 编码。"], "'{word}' 的 Base64 编码是 {value}。"),
    ("import hashlib\nprint(hashlib.sha256('{word}'.encode()).hexdigest()[:12])",
     ["Compute the SHA-256 hash of '{word}' in Python and show the first 12 hex digits.",
      "Use hashlib to hash '{word}' with SHA-256; I only need the first 12 characters."],
     "The first 12 hex digits of its SHA-256 hash are {value}.",
     ["用 Python 算 '{word}' 的 SHA-256，输出前 12 位。", "拿 hashlib 给 '{word}' 做个 SHA-256 哈希，告诉我前十二位。"],
     "SHA-256 的前 12 位是 {value}。"),
    ("print(''.join('*' if c in 'aeiou' else c for c in '{word}'))",
     ["Replace every vowel in '{word}' with an asterisk using Python.", "Write code that masks the vowels of '{word}' with '*'."],
     "With the vowels masked: {value}.",
     ["用 Python 把 '{word}' 里的元音字母都换成星号。", "写段代码，把 '{word}' 的元音替换成 *。"], "替换后是 {value}。"),
    ("print('-'.join(['{word}'] * {n}))",
     ["Use Python to repeat '{word}' {n} times, joined by dashes.", "Print '{word}' {n} times with a hyphen between each, in code."],
     "Here it is: {value}",
     ["用 Python 把 '{word}' 重复 {n} 次，中间用短横线连起来。", "写代码输出 {n} 个 '{word}'，用 - 连接。"], "结果是：{value}"),
    ("print([ord(c) - 96 for c in '{word}'])",
     ["Give each letter of '{word}' its position in the alphabet (a=1) using Python.",
      "With code, map the letters of '{word}' to alphabet positions."],
     "The alphabet positions are {value}.",
     ["用 Python 算出 '{word}' 每个字母在字母表里排第几（a 是 1）。", "写代码把 '{word}' 的字母换成字母表序号。"],
     "对应的字母表序号是 {value}。"),
    ("print('{word}'[::2])",
     ["Take every other letter of '{word}', starting with the first, in Python.", "Slice '{word}' with a step of 2 in Python."],
     "Every other letter gives '{value}'.",
     ["用 Python 取出 '{word}' 的第 1、3、5…个字母。", "用步长为 2 的切片处理 '{word}'，输出结果。"], "隔一个取一个，得到 '{value}'。"),
    ("print(''.join(sorted('{word}', reverse=True)))",
     ["Sort the letters of '{word}' from z to a with Python.", "Use code to put the letters of '{word}' in reverse alphabetical order."],
     "From z to a: {value}.",
     ["用 Python 把 '{word}' 的字母按从 z 到 a 排列。", "写代码将 '{word}' 的字母倒序排序。"], "按 z 到 a 排列是 {value}。"),
    ("print([i * i for i in range(1, {n} + 1)])",
     ["List the squares of 1 to {n} with Python.", "Run a list comprehension that gives the first {n} square numbers."],
     "The squares are {value}.",
     ["用 Python 列出 1 到 {n} 每个数的平方。", "写个列表推导式，输出前 {n} 个平方数。"], "平方数依次是 {value}。"),
    (_NTH_PRIME,
     ["What is the {n}th prime number? Work it out in Python.", "Write code that finds prime number number {n}."],
     "The {n}th prime is {value}.",
     ["第 {n} 个质数是多少？用 Python 算一下。", "写段代码求出第 {n} 个素数。"], "第 {n} 个质数是 {value}。"),
    ("print([k * (k + 1) // 2 for k in range(1, {n} + 1)])",
     ["Print the first {n} triangular numbers with Python.", "Use code to generate {n} triangular numbers."],
     "The first {n} triangular numbers are {value}.",
     ["用 Python 输出前 {n} 个三角形数。", "写代码生成前 {n} 个三角数。"], "前 {n} 个三角形数是 {value}。"),
    ("print([2 ** k for k in range({n} + 1)])",
     ["List the powers of two from 2^0 to 2^{n} in Python.", "Run code that prints 2 to the power 0, 1, ... up to {n}."],
     "The powers of two are {value}.",
     ["用 Python 列出 2 的 0 次方到 {n} 次方。", "写代码输出 2 的 0 到 {n} 次幂。"], "结果是 {value}。"),
    (_TABLE,
     ["Print the {n} times table from 1 to 9 with Python.", "Write a loop that prints the multiplication table for {n}."],
     "Here is the {n} times table:\n{value}",
     ["用 Python 打印 {n} 的乘法表（乘 1 到 9）。", "写个循环输出 {n} 的九九乘法。"], "{n} 的乘法表：\n{value}"),
    (_COLLATZ,
     ["How many Collatz steps does {n} take to reach 1? Compute it in Python.",
      "Run the 3n+1 process on {n} in code and count the steps to 1."],
     "{n} reaches 1 after {value} steps.",
     ["用 Python 算一下 {n} 按考拉兹猜想要几步才能变成 1。", "写代码对 {n} 反复做 3n+1 运算，数一下到 1 要几步。"],
     "{n} 经过 {value} 步变成 1。"),
    (_FIB_N,
     ["What's the {n}th Fibonacci number (F0 = 0)? Use Python.", "Write a loop to compute Fibonacci number {n}."],
     "F({n}) = {value}.",
     ["用 Python 算第 {n} 个斐波那契数（F0 = 0）。", "写个循环求斐波那契数列的第 {n} 项。"], "F({n}) = {value}。"),
    ("print(sum(all(k % d for d in range(2, k)) for k in range(2, {n} * 10)))",
     ["How many primes are there below {n}0? Count them with Python.", "Use code to count the prime numbers less than {n}0."],
     "There are {value} primes below {n}0.",
     ["{n}0 以内有多少个质数？用 Python 数一下。", "写代码统计小于 {n}0 的素数个数。"], "{n}0 以内有 {value} 个质数。"),
    ("print(sum(int(c) for c in str({prime})))",
     ["Add up the digits of {prime} with Python.", "Use code to get the digit sum of {prime}."],
     "The digits of {prime} add up to {value}.",
     ["用 Python 算 {prime} 各位数字之和。", "写代码把 {prime} 的每一位加起来。"], "{prime} 的各位数字之和是 {value}。"),
    ("print(int(str({prime})[::-1]))",
     ["Reverse the digits of {prime} in Python.", "Write code that prints {prime} backwards, as a number."],
     "{prime} reversed is {value}.",
     ["用 Python 把 {prime} 的数字顺序倒过来。", "写段代码输出 {prime} 倒序后的数。"], "倒过来是 {value}。"),
    ("n = {prime}\nprint([d for d in range(1, n + 1) if n % d == 0])",
     ["List all the divisors of {prime} using Python.", "Run code that finds every number dividing {prime} evenly."],
     "The divisors of {prime} are {value}.",
     ["用 Python 列出 {prime} 的所有约数。", "写代码找出能整除 {prime} 的全部正整数。"], "{prime} 的约数有 {value}。"),
    (_NEXT_PRIME,
     ["Find the first prime after {prime} with Python.", "Write code to get the next prime number bigger than {prime}."],
     "The next prime after {prime} is {value}.",
     ["用 Python 找出比 {prime} 大的第一个质数。", "写代码求 {prime} 之后的下一个素数。"], "{prime} 之后的第一个质数是 {value}。"),
    ("print(hex({prime}))",
     ["Convert {prime} to hexadecimal in Python.", "What is {prime} in hex? Use code."],
     "{prime} in hexadecimal is {value}.",
     ["用 Python 把 {prime} 转成十六进制。", "{prime} 的十六进制是多少？写代码转换一下。"], "{prime} 的十六进制是 {value}。"),
    (_ROMAN,
     ["Write {prime} in Roman numerals using Python.", "Run code that converts {prime} into Roman numerals."],
     "{prime} in Roman numerals is {value}.",
     ["用 Python 把 {prime} 写成罗马数字。", "写一段代码，把 {prime} 转换为罗马数字。"], "{prime} 的罗马数字写法是 {value}。"),
    ("s = str({prime})\nprint(s == s[::-1])",
     ["Does {prime} read the same backwards? Check with Python.", "Use code to test whether {prime} is a palindromic number."],
     "Same backwards for {prime}: {value}.",
     ["{prime} 倒过来读还一样吗？用 Python 判断一下。", "写代码检查 {prime} 是不是回文数。"], "{prime} 是否为回文数：{value}。"),
    ("print(bin({prime}).count('1'))",
     ["How many 1 bits does {prime} have in binary? Count with Python.", "Use code to count the ones in the binary form of {prime}."],
     "{prime} has {value} one-bits in binary.",
     ["{prime} 的二进制里有几个 1？用 Python 数一下。", "写代码统计 {prime} 二进制表示中 1 的个数。"], "{prime} 的二进制里有 {value} 个 1。"),
    ("import statistics\nprint(statistics.median([{nums}]))",
     ["Find the median of {nums} with Python.", "Use the statistics module to get the median of these numbers: {nums}."],
     "The median is {value}.",
     ["用 Python 求 {nums} 的中位数。", "拿 statistics 模块算一下这组数的中位数：{nums}。"], "中位数是 {value}。"),
    ("print(sum([{nums}]))",
     ["Add up {nums} in Python.", "Run code that sums this list: {nums}."],
     "The sum is {value}.",
     ["用 Python 把 {nums} 加起来。", "写代码求这组数的总和：{nums}。"], "总和是 {value}。"),
    ("print(sum(1 for x in [{nums}] if x % 2 == 0))",
     ["How many even numbers are in {nums}? Count them in Python.", "Use code to count the even values among {nums}."],
     "There are {value} even numbers.",
     ["{nums} 里有几个偶数？用 Python 数一下。", "写代码统计 {nums} 中偶数的个数。"], "一共有 {value} 个偶数。"),
    ("print(sorted([{nums}], reverse=True))",
     ["Sort {nums} from largest to smallest with Python.", "Use code to order these numbers descending: {nums}."],
     "From largest to smallest: {value}.",
     ["用 Python 给 {nums} 做降序排序。", "写代码把这些数降序排列：{nums}。"], "从大到小是 {value}。"),
    ("xs = [{nums}]\nprint(max(xs) - min(xs))",
     ["What's the range (max minus min) of {nums}? Use Python.", "Run code for the spread between the biggest and smallest of {nums}."],
     "The range is {value}.",
     ["用 Python 算 {nums} 的极差（最大值减最小值）。", "写代码求这组数最大和最小的差：{nums}。"], "极差是 {value}。"),
    ("import statistics\nprint(round(statistics.pstdev([{nums}]), 2))",
     ["Compute the population standard deviation of {nums} in Python, rounded to 2 decimals.",
      "Use statistics.pstdev on {nums} and round to two places."],
     "The standard deviation is {value}.",
     ["用 Python 算 {nums} 的总体标准差，保留两位小数。", "写代码求这组数的标准差（pstdev，两位小数）：{nums}。"], "标准差是 {value}。"),
    ("from itertools import accumulate\nprint(list(accumulate([{nums}])))",
     ["Print the running totals of {nums} with Python.", "Use itertools.accumulate to get the cumulative sums of {nums}."],
     "The running totals are {value}.",
     ["用 Python 算出 {nums} 的累计和。", "写代码输出这组数的前缀和：{nums}。"], "累计和依次是 {value}。"),
    ("print([x for x in [{nums}] if x >= 0])",
     ["Drop the negative numbers from {nums} using Python.", "Filter {nums} in code, keeping only values of zero or more."],
     "Without the negatives: {value}.",
     ["用 Python 把 {nums} 里的负数去掉。", "写代码过滤这组数，只留下非负数：{nums}。"], "去掉负数后是 {value}。"),
    ("print(sorted(set([{nums}]))[-2])",
     ["What's the second largest value in {nums}? Find it with Python.", "Run code to get the runner-up maximum of {nums}."],
     "The second largest value is {value}.",
     ["{nums} 里第二大的数是多少？用 Python 找出来。", "写代码求这组数中的第二大值：{nums}。"], "第二大的数是 {value}。"),
    ("print([x * 2 for x in [{nums}]])",
     ["Double every number in {nums} with Python.", "Use a list comprehension to multiply each of {nums} by 2."],
     "Doubled: {value}.",
     ["用 Python 把 {nums} 每个数都乘以 2。", "写个列表推导式，把这组数全部翻倍：{nums}。"], "翻倍后是 {value}。"),
    (_DATE + "print(d.timetuple().tm_yday)",
     ["Which day of the year is {year}-{month:02d}-{day:02d}? Work it out in Python.",
      "Use datetime to find the day-of-year number of {year}-{month:02d}-{day:02d}."],
     "{year}-{month:02d}-{day:02d} is day {value} of the year.",
     ["{year}年{month}月{day}日是这一年的第几天？用 Python 算算。", "写代码求 {year}年{month}月{day}日 是当年第几天。"],
     "那天是当年的第 {value} 天。"),
    (_DATE + "print(d.isocalendar()[1])",
     ["What ISO week number does {year}-{month:02d}-{day:02d} fall in? Check with Python.",
      "Use Python to get the calendar week of {year}-{month:02d}-{day:02d}."],
     "It falls in ISO week {value}.",
     ["{year}年{month}月{day}日在第几周（ISO 周）？用 Python 查一下。", "写代码算出 {year}年{month}月{day}日 属于第几周。"],
     "那天在 ISO 第 {value} 周。"),
    (_DATE + "print(d + datetime.timedelta(days=100))",
     ["What date is 100 days after {year}-{month:02d}-{day:02d}? Use Python.",
      "Add 100 days to {year}-{month:02d}-{day:02d} with datetime."],
     "100 days later it is {value}.",
     ["{year}年{month}月{day}日往后推 100 天是哪天？用 Python 算。", "写代码给 {year}年{month}月{day}日 加上 100 天。"],
     "100 天后是 {value}。"),
    ("import calendar\nprint(calendar.monthrange({year}, {month})[1])",
     ["How many days does month {month} of {year} have? Check with Python's calendar module.",
      "Use code to get the number of days in {year}-{month:02d}."],
     "That month has {value} days.",
     ["{year}年{month}月有多少天？用 Python 的 calendar 查一下。", "写代码算出 {year}年{month}月 的天数。"], "那个月有 {value} 天。"),
    (_DATE + "print(abs((d - datetime.date(2000, 1, 1)).days))",
     ["How many days are there between 1 January 2000 and {year}-{month:02d}-{day:02d}? Compute it in Python.",
      "Use datetime to count the days from 2000-01-01 to {year}-{month:02d}-{day:02d}."],
     "They are {value} days apart.",
     ["2000年1月1日和{year}年{month}月{day}日之间相差多少天？用 Python 算。", "写代码算 {year}年{month}月{day}日 距离2000年1月1日有多少天。"],
     "相差 {value} 天。"),
    ("import calendar\nprint([y for y in range({year}, {year} + 20) if calendar.isleap(y)])",
     ["List the leap years in the 20 years starting with {year}, using Python.",
      "Use code to find every leap year from {year} through the next 19 years."],
     "The leap years are {value}.",
     ["用 Python 列出从{year}年开始 20 年里的闰年。", "写代码找出{year}年起二十年内所有的闰年。"], "这些年份是闰年：{value}。"),
    (_DATE + "print('一二三四五六日'[d.weekday()])",
     ["In Python, print the Chinese weekday character for {year}-{month:02d}-{day:02d} (一 = Monday)."],
     "The weekday character is {value}.",
     ["用 Python 查一下{year}年{month}月{day}日是星期几，输出中文的星期。", "写代码算出{year}年{month}月{day}日是周几，用汉字显示。"],
     "那天是星期{value}。"),
]


def _python(language: str) -> list[PythonPhrasing]:
    out = []
    for code, en_requests, en_answer, zh_requests, zh_answer in _PY_TASKS:
        requests, answer = (en_requests, en_answer) if language == "en" else (zh_requests, zh_answer)
        out += [PythonPhrasing(request, code, answer) for request in requests]
    return out


# ---- WEB / NOTE / PAGE request templates -------------------------------------------------------
def _web(language: str) -> list[str]:
    if language == "en":
        verbs = ["search the web for {topic}", "look up {topic} online", "find {topic} on the internet",
                 "run an internet search on {topic}", "use a search engine to find {topic}",
                 "check online sources for {topic}", "browse the web and find {topic}",
                 "get me up-to-date information from the web on {topic}", "see what current websites say about {topic}",
                 "dig up {topic} on the web"]
        closers = ["", " and tell me what you find", " and cite where it comes from", " and give me a short answer",
                   " for me"]
        leads = [("", "."), ("Please ", "."), ("Hey, ", "."), ("Could you ", "?"), ("Can you ", "?"),
                 ("When you have a moment, ", "."), ("I'd like you to ", ".")]
        out = [_cap(lead + verb + closer + end) for (lead, end), verb, closer in product(leads, verbs, closers)]
        out += ["I need the latest from the internet: {topic}.", "Not from memory, please: search online for {topic}.",
                "What do sources on the web say about {topic}?", "Is there anything online about {topic}? Search for it.",
                "Check the internet, not your memory: {topic}?"]
    else:
        verbs = ["上网搜一下{topic}", "在网上查查{topic}", "用搜索引擎查一下{topic}", "联网搜索{topic}",
                 "到网上找找{topic}的资料", "在网上检索{topic}", "搜一下网上关于{topic}的最新信息",
                 "上网找找{topic}", "去网上看看{topic}", "在网页上搜搜{topic}"]
        closers = ["。", "，告诉我结果。", "，顺便给个来源。", "，简单说说。", "，查到了告诉我。"]
        leads = ["", "麻烦", "请", "你帮我", "帮忙", "劳驾"]
        out = [lead + verb + closer for lead, verb, closer in product(leads, verbs, closers)]
        out += ["我想要网上的最新说法：{topic}。", "别凭记忆，上网搜：{topic}。", "网上的资料怎么说{topic}？帮我搜一下。",
                "联网帮我确认一下{topic}。", "能不能上网搜搜{topic}？"]
    return _take(_unique(out), 120, f"web-{language}")


def _notes(language: str) -> list[str]:
    if language == "en":
        sources = ["my notes", "the file I uploaded", "the manual", "my docs", "the meeting minutes I saved",
                   "my knowledge base", "the documents I uploaded", "the PDF I added", "my saved files",
                   "the project handbook", "the wiki pages I imported", "the planning doc I shared with you"]
        frames = ["According to «src», what is the {attribute} of {project}?",
                  "What does «src» say the {attribute} of {project} is?",
                  "Look through «src» and tell me {project}'s {attribute}.",
                  "Can you check «src» for the {attribute} of {project}?",
                  "I need {project}'s {attribute}; it should be in «src».",
                  "Pull the {attribute} of {project} out of «src», please.",
                  "Going by «src», what's the {attribute} for project {project}?",
                  "Search «src» for project {project} and give me its {attribute}."]
    else:
        sources = ["我的笔记", "我上传的文件", "手册", "我的文档", "我保存的会议纪要", "我的知识库", "我导入的资料",
                   "我存的那份PDF", "项目手册", "我之前上传的表格", "我整理的项目文档", "团队的 Wiki 页面"]
        frames = ["根据«src»，{project}项目的{attribute}是什么？",
                  "«src»里{project}项目的{attribute}写的是什么？",
                  "帮我翻一下«src»，看看{project}的{attribute}。",
                  "{project}项目的{attribute}在«src»里有记录，帮我找出来。",
                  "查查«src»：{project}项目的{attribute}是什么？",
                  "按«src»上写的，{project}的{attribute}是哪个？",
                  "从«src»里帮我找一下{project}项目的{attribute}。",
                  "«src»中关于{project}的{attribute}是怎么写的？"]
    return _take(_unique(_expand(frames, src=sources)), 120, f"notes-{language}")


def _pages(language: str) -> list[str]:
    if language == "en":
        verbs = ["read {url}", "open {url}", "fetch the page at {url}", "go through the article at {url}",
                 "take a look at {url}", "load {url}", "visit {url}"]
        tasks = [" and tell me the main point", " and sum it up in one sentence", " and list the key facts",
                 " and tell me what it says", " and give me a short summary"]
        leads = [("", "."), ("Please ", "."), ("Could you ", "?"), ("Can you ", "?"), ("I'm busy, so ", ".")]
        out = [_cap(lead + verb + task + end) for (lead, end), verb, task in product(leads, verbs, tasks)]
        out += ["Here's a link, what's the takeaway? {url}", "Summarise the page {url} for me.",
                "What's the article at {url} about?", "Someone shared {url} with me. What does it say?",
                "What are the main points of {url}?"]
    else:
        verbs = ["读一下 {url}", "打开 {url}", "抓取 {url} 这个网页", "看一下 {url} 这篇文章", "浏览一下 {url}",
                 "访问 {url}", "把 {url} 的内容读一遍"]
        tasks = ["，告诉我主要讲了什么。", "，用一句话总结。", "，列出关键信息。", "，说说里面的要点。", "，给我简单概括一下。"]
        leads = ["", "麻烦", "请", "你帮我", "帮忙"]
        out = [lead + verb + task for lead, verb, task in product(leads, verbs, tasks)]
        out += ["这个链接说的是什么？{url}", "{url} 这篇文章的结论是什么？", "帮我总结这个网址的内容：{url}",
                "有人发给我 {url}，里面写了啥？", "{url} 主要讲了哪几点？"]
    return _take(_unique(out), 90, f"pages-{language}")


# ---- CHAT: answers from small fact tables -------------------------------------------------------
def _a(noun: str) -> str:
    return ("an " if noun[:1].lower() in "aeiou" else "a ") + noun


CAPITALS = [  # (country en, capital en, country zh, capital zh)
    ("France", "Paris", "法国", "巴黎"), ("Germany", "Berlin", "德国", "柏林"), ("Italy", "Rome", "意大利", "罗马"),
    ("Spain", "Madrid", "西班牙", "马德里"), ("the United Kingdom", "London", "英国", "伦敦"),
    ("Ireland", "Dublin", "爱尔兰", "都柏林"), ("the Netherlands", "Amsterdam", "荷兰", "阿姆斯特丹"),
    ("Belgium", "Brussels", "比利时", "布鲁塞尔"), ("Austria", "Vienna", "奥地利", "维也纳"),
    ("Switzerland", "Bern", "瑞士", "伯尔尼"), ("Sweden", "Stockholm", "瑞典", "斯德哥尔摩"),
    ("Norway", "Oslo", "挪威", "奥斯陆"), ("Denmark", "Copenhagen", "丹麦", "哥本哈根"),
    ("Finland", "Helsinki", "芬兰", "赫尔辛基"), ("Poland", "Warsaw", "波兰", "华沙"),
    ("the Czech Republic", "Prague", "捷克", "布拉格"), ("Hungary", "Budapest", "匈牙利", "布达佩斯"),
    ("Greece", "Athens", "希腊", "雅典"), ("Russia", "Moscow", "俄罗斯", "莫斯科"), ("Turkey", "Ankara", "土耳其", "安卡拉"),
    ("Kenya", "Nairobi", "肯尼亚", "内罗毕"), ("Ethiopia", "Addis Ababa", "埃塞俄比亚", "亚的斯亚贝巴"),
    ("Morocco", "Rabat", "摩洛哥", "拉巴特"), ("Nigeria", "Abuja", "尼日利亚", "阿布贾"), ("Ghana", "Accra", "加纳", "阿克拉"),
    ("Japan", "Tokyo", "日本", "东京"), ("South Korea", "Seoul", "韩国", "首尔"), ("China", "Beijing", "中国", "北京"),
    ("India", "New Delhi", "印度", "新德里"), ("Thailand", "Bangkok", "泰国", "曼谷"), ("Vietnam", "Hanoi", "越南", "河内"),
    ("the Philippines", "Manila", "菲律宾", "马尼拉"), ("Malaysia", "Kuala Lumpur", "马来西亚", "吉隆坡"),
    ("Pakistan", "Islamabad", "巴基斯坦", "伊斯兰堡"), ("Bangladesh", "Dhaka", "孟加拉国", "达卡"),
    ("Nepal", "Kathmandu", "尼泊尔", "加德满都"), ("Mongolia", "Ulaanbaatar", "蒙古", "乌兰巴托"),
    ("Iran", "Tehran", "伊朗", "德黑兰"), ("Saudi Arabia", "Riyadh", "沙特阿拉伯", "利雅得"),
    ("the United States", "Washington, D.C.", "美国", "华盛顿"),
    ("Mexico", "Mexico City", "墨西哥", "墨西哥城"), 
    ("Argentina", "Buenos Aires", "阿根廷", "布宜诺斯艾利斯"), ("Chile", "Santiago", "智利", "圣地亚哥"),
    ("Peru", "Lima", "秘鲁", "利马"), ("Colombia", "Bogotá", "哥伦比亚", "波哥大"), ("Cuba", "Havana", "古巴", "哈瓦那"),
    ("New Zealand", "Wellington", "新西兰", "惠灵顿"), ("Iceland", "Reykjavík", "冰岛", "雷克雅未克"),
    ("Ukraine", "Kyiv", "乌克兰", "基辅"), ("Romania", "Bucharest", "罗马尼亚", "布加勒斯特"),
    ("Croatia", "Zagreb", "克罗地亚", "萨格勒布"), ("Serbia", "Belgrade", "塞尔维亚", "贝尔格莱德"),
    ("Bulgaria", "Sofia", "保加利亚", "索非亚"), ("Laos", "Vientiane", "老挝", "万象"), ("Cambodia", "Phnom Penh", "柬埔寨", "金边"),
    ("Iraq", "Baghdad", "伊拉克", "巴格达"), ("Syria", "Damascus", "叙利亚", "大马士革"), ("Jordan", "Amman", "约旦", "安曼"),
    ("Venezuela", "Caracas", "委内瑞拉", "加拉加斯"), ("Uruguay", "Montevideo", "乌拉圭", "蒙得维的亚"),
    ("Ecuador", "Quito", "厄瓜多尔", "基多"), ("Jamaica", "Kingston", "牙买加", "金斯敦"), ("Senegal", "Dakar", "塞内加尔", "达喀尔"),
    ("Algeria", "Algiers", "阿尔及利亚", "阿尔及尔"), ("Uganda", "Kampala", "乌干达", "坎帕拉"), ("Qatar", "Doha", "卡塔尔", "多哈"),
    ("Lebanon", "Beirut", "黎巴嫩", "贝鲁特"), ("Slovakia", "Bratislava", "斯洛伐克", "布拉迪斯拉发"),
    ("Slovenia", "Ljubljana", "斯洛文尼亚", "卢布尔雅那"), ("Estonia", "Tallinn", "爱沙尼亚", "塔林"),
    ("Latvia", "Riga", "拉脱维亚", "里加"), ("Lithuania", "Vilnius", "立陶宛", "维尔纽斯"), ("North Korea", "Pyongyang", "朝鲜", "平壤"),
]

ELEMENTS = [  # (name en, symbol, name zh, atomic number)
    ("hydrogen", "H", "氢", 1), ("helium", "He", "氦", 2), ("lithium", "Li", "锂", 3), ("beryllium", "Be", "铍", 4),
    ("boron", "B", "硼", 5), ("carbon", "C", "碳", 6), ("nitrogen", "N", "氮", 7), ("oxygen", "O", "氧", 8),
    ("fluorine", "F", "氟", 9), ("neon", "Ne", "氖", 10), ("sodium", "Na", "钠", 11), ("magnesium", "Mg", "镁", 12),
    ("aluminium", "Al", "铝", 13), ("silicon", "Si", "硅", 14), ("phosphorus", "P", "磷", 15), ("sulfur", "S", "硫", 16),
    ("chlorine", "Cl", "氯", 17), ("argon", "Ar", "氩", 18), ("potassium", "K", "钾", 19), ("calcium", "Ca", "钙", 20),
    ("titanium", "Ti", "钛", 22), ("chromium", "Cr", "铬", 24), ("manganese", "Mn", "锰", 25), ("iron", "Fe", "铁", 26),
    ("nickel", "Ni", "镍", 28), ("copper", "Cu", "铜", 29), ("zinc", "Zn", "锌", 30),
    ("arsenic", "As", "砷", 33), ("selenium", "Se", "硒", 34), ("bromine", "Br", "溴", 35), ("krypton", "Kr", "氪", 36),
    ("silver", "Ag", "银", 47), ("tin", "Sn", "锡", 50), ("iodine", "I", "碘", 53), ("xenon", "Xe", "氙", 54),
    ("barium", "Ba", "钡", 56), ("tungsten", "W", "钨", 74), ("platinum", "Pt", "铂", 78), ("mercury", "Hg", "汞", 80),
    ("lead", "Pb", "铅", 82), ("bismuth", "Bi", "铋", 83), ("radon", "Rn", "氡", 86),
]

WORDS = [  # (English, Chinese): common words with one clear translation
    ("apple", "苹果"), ("banana", "香蕉"), ("grape", "葡萄"), ("watermelon", "西瓜"), ("strawberry", "草莓"),
    ("bread", "面包"), ("egg", "鸡蛋"), ("milk", "牛奶"), ("tea", "茶"), ("coffee", "咖啡"), ("water", "水"),
    ("book", "书"), ("pencil", "铅笔"), ("chair", "椅子"), ("table", "桌子"), ("window", "窗户"), ("door", "门"),
    ("bed", "床"), ("kitchen", "厨房"), ("school", "学校"), ("hospital", "医院"), ("library", "图书馆"),
    ("airport", "机场"), ("bank", "银行"), ("park", "公园"), ("city", "城市"), ("village", "村庄"), ("country", "国家"),
    ("river", "河流"), ("mountain", "山"), ("sea", "海"), ("lake", "湖"), ("forest", "森林"), ("tree", "树"),
    ("flower", "花"), ("grass", "草"), ("sun", "太阳"), ("moon", "月亮"), ("rain", "雨"), ("snow", "雪"), ("wind", "风"),
    ("cloud", "云"), ("star", "星星"), ("sky", "天空"), ("cat", "猫"), ("dog", "狗"), ("bird", "鸟"), ("fish", "鱼"),
    ("horse", "马"), ("rabbit", "兔子"), ("tiger", "老虎"), ("elephant", "大象"), ("monkey", "猴子"), ("pig", "猪"),
    ("duck", "鸭子"), ("bee", "蜜蜂"), ("snake", "蛇"), ("friend", "朋友"), ("teacher", "老师"), ("student", "学生"),
    ("doctor", "医生"), ("nurse", "护士"), ("chef", "厨师"), ("farmer", "农民"), ("police officer", "警察"),
    ("child", "孩子"), ("baby", "婴儿"), ("family", "家庭"), ("red", "红色"), ("blue", "蓝色"), ("green", "绿色"),
    ("yellow", "黄色"), ("black", "黑色"), ("white", "白色"), ("purple", "紫色"), ("happy", "快乐"), ("sad", "难过"),
    ("big", "大"), ("small", "小"), ("hot", "热"), ("cold", "冷"), ("beautiful", "美丽"), ("fast", "快"), ("slow", "慢"),
    ("eat", "吃"), ("drink", "喝"), ("sleep", "睡觉"), ("run", "跑"), ("write", "写"), ("sing", "唱歌"), ("dance", "跳舞"),
    ("swim", "游泳"), ("study", "学习"), ("work", "工作"), ("love", "爱"), ("thank you", "谢谢"), ("hello", "你好"),
    ("goodbye", "再见"), ("sorry", "对不起"), ("please", "请"), ("today", "今天"), ("tomorrow", "明天"),
    ("yesterday", "昨天"), ("time", "时间"), ("money", "钱"), ("computer", "电脑"), ("mobile phone", "手机"),
    ("car", "汽车"), ("bicycle", "自行车"), ("train", "火车"), ("plane", "飞机"), ("ship", "船"), ("umbrella", "雨伞"),
    ("shoes", "鞋子"), ("hat", "帽子"), ("clothes", "衣服"), ("key", "钥匙"), ("clock", "时钟"), ("music", "音乐"),
    ("film", "电影"), ("game", "游戏"), ("weather", "天气"), ("hand", "手"), ("eye", "眼睛"), ("head", "头"),
    ("foot", "脚"), ("mouth", "嘴"), ("nose", "鼻子"), ("ear", "耳朵"), ("hair", "头发"), ("face", "脸"), ("garden", "花园"),
    ("birthday", "生日"), ("holiday", "假期"), ("breakfast", "早饭"), ("dinner", "晚饭"), ("chopsticks", "筷子"),
]

EN_ANTONYMS = [  # (word, opposite), asked in this direction
    ("hot", "cold"), ("cold", "hot"), ("up", "down"), ("down", "up"), ("early", "late"), ("late", "early"), ("full", "empty"),
    ("empty", "full"), ("open", "closed"), ("win", "lose"), ("lose", "win"), ("buy", "sell"), ("sell", "buy"),
    ("push", "pull"), ("pull", "push"), ("strong", "weak"), ("weak", "strong"), ("rich", "poor"), ("poor", "rich"),
    ("happy", "sad"), ("sad", "happy"), ("young", "old"), ("inside", "outside"), ("outside", "inside"), ("above", "below"),
    ("below", "above"), ("arrive", "depart"), ("remember", "forget"), ("forget", "remember"), ("accept", "refuse"),
    ("always", "never"), ("never", "always"), ("true", "false"), ("false", "true"), ("wet", "dry"), ("dry", "wet"),
    ("loud", "quiet"), ("thick", "thin"), ("wide", "narrow"), ("narrow", "wide"), ("deep", "shallow"), ("shallow", "deep"),
    ("soft", "hard"), ("rough", "smooth"), ("smooth", "rough"), ("cheap", "expensive"), ("expensive", "cheap"),
    ("first", "last"), ("question", "answer"), ("friend", "enemy"), ("enemy", "friend"), ("safe", "dangerous"),
    ("dangerous", "safe"), ("tall", "short"), ("long", "short"), ("love", "hate"), ("hate", "love"), ("day", "night"),
    ("night", "day"), ("north", "south"), ("south", "north"), ("east", "west"), ("west", "east"), ("laugh", "cry"),
    ("asleep", "awake"), ("awake", "asleep"), ("success", "failure"), ("failure", "success"), ("increase", "decrease"),
    ("decrease", "increase"), ("entrance", "exit"), ("exit", "entrance"), ("polite", "rude"), ("clean", "dirty"),
    ("dirty", "clean"), ("easy", "difficult"), ("difficult", "easy"), ("heavy", "light"), ("fast", "slow"), ("slow", "fast"),
    ("maximum", "minimum"), ("minimum", "maximum"), ("tiny", "huge"), ("huge", "tiny"), ("generous", "stingy"),
    ("brave", "cowardly"), ("guilty", "innocent"), ("innocent", "guilty"), ("visible", "invisible"), ("borrow", "lend"),
    ("lend", "borrow"), ("sunrise", "sunset"), ("sunset", "sunrise"), ("victory", "defeat"), ("give", "take"),
    ("come", "go"), ("before", "after"), ("after", "before"), ("yes", "no"), ("more", "less"), ("many", "few"),
    ("few", "many"), ("best", "worst"), ("worst", "best"), ("alive", "dead"), ("inner", "outer"), ("import", "export"),
    ("export", "import"), ("top", "bottom"), ("bottom", "top"), ("front", "back"), ("ancient", "modern"),
]
EN_SYNONYMS = [
    ("big", "large"), ("begin", "start"), ("finish", "end"), ("smart", "clever"), ("angry", "cross"), ("tired", "weary"),
    ("easy", "simple"), ("hard", "difficult"), ("rich", "wealthy"), ("funny", "amusing"), ("scared", "afraid"),
    ("quiet", "silent"), ("brave", "courageous"), ("pretty", "lovely"), ("huge", "enormous"), ("sad", "unhappy"),
    ("glad", "pleased"), ("job", "occupation"), ("buy", "purchase"), ("help", "assist"), ("answer", "reply"),
    ("shout", "yell"), ("fix", "repair"), ("show", "display"), ("gift", "present"), ("ill", "sick"), ("near", "close"),
    ("correct", "right"), ("famous", "well-known"), ("strange", "odd"), ("middle", "centre"), ("choose", "pick"),
    ("maybe", "perhaps"), ("often", "frequently"), ("rude", "impolite"), ("calm", "peaceful"), ("error", "mistake"),
    ("speak", "talk"), ("fast", "quick"), ("little", "small"), ("quick", "rapid"), ("cold", "chilly"),
    ("delicious", "tasty"), ("kind", "considerate"), ("dull", "boring"), ("wet", "damp"), ("jump", "leap"),
    ("cry", "weep"), ("shut", "close"), ("stop", "halt"), ("trip", "journey"), ("enough", "sufficient"),
    ("sleepy", "drowsy"), ("hurry", "rush"), ("thin", "slim"), ("smell", "scent"),
]
EN_DEFINITIONS = [
    ("generous", "willing to give more of your time, money or help than is expected"),
    ("curious", "eager to know or learn about something"), ("humble", "modest, not thinking you are better than others"),
    ("nocturnal", "active at night and asleep during the day"), ("herbivore", "an animal that eats only plants"),
    ("carnivore", "an animal that eats meat"), ("omnivore", "an animal that eats both plants and meat"),
    ("mammal", "a warm-blooded animal with hair or fur that feeds its young on milk"),
    ("reptile", "a cold-blooded animal with scaly skin, such as a snake, lizard or turtle"),
    ("amphibian", "an animal, such as a frog, that lives both in water and on land"),
    ("peninsula", "a piece of land almost surrounded by water but joined to the mainland"),
    ("island", "a piece of land surrounded by water"), ("archipelago", "a group of islands"),
    ("volcano", "a mountain or opening in the Earth's crust through which lava, ash and gas erupt"),
    ("evaporation", "the change of a liquid into a gas, like a puddle drying in the sun"),
    ("condensation", "the change of a gas into a liquid, like droplets forming on a cold glass"),
    ("photosynthesis", "the process by which plants use sunlight, water and carbon dioxide to make food and give off oxygen"),
    ("gravity", "the force that pulls objects towards each other; it is what makes things fall to the ground"),
    ("habitat", "the natural home or environment of an animal or plant"),
    ("migration", "the seasonal movement of animals from one region to another"),
    ("hibernate", "to spend the winter in a deep sleep, as some animals do"),
    ("procrastinate", "to keep putting off something you should do"), ("nostalgia", "a wistful longing for the past"),
    ("empathy", "the ability to understand and share another person's feelings"),
    ("resilient", "able to recover quickly from difficulties"), ("ambiguous", "open to more than one meaning"),
    ("punctual", "arriving or doing something at the agreed time"), ("fragile", "easily broken or damaged"),
    ("optimist", "someone who expects good things to happen"), ("pessimist", "someone who expects bad things to happen"),
    ("vegetarian", "someone who does not eat meat or fish"),
    ("biography", "the story of a person's life written by someone else"),
    ("autobiography", "the story of a person's life written by that person"),
    ("recipe", "a set of instructions for making a dish"),
    ("equator", "the imaginary line around the middle of the Earth, halfway between the North and South Poles"),
    ("a piece of cake", "something very easy"), ("under the weather", "feeling a little ill"),
    ("once in a blue moon", "very rarely"), ("hit the sack", "to go to bed"), ("spill the beans", "to reveal a secret"),
    ("cost an arm and a leg", "to be very expensive"), ("call it a day", "to stop working on something for now"),
    ("on cloud nine", "extremely happy"), ("let the cat out of the bag", "to give away a secret by accident"),
    ("bite the bullet", "to make yourself do something unpleasant but necessary"),
    ("hit the nail on the head", "to describe exactly what is causing a situation or problem"),
    ("break the ice", "to say or do something that helps people relax when they first meet"),
    ("when pigs fly", "never; it is something that will never happen"),
    ("beat around the bush", "to avoid talking about the main point"),
    ("the ball is in your court", "it is now your turn to act or decide"),
]
EN_COLOURS = [  # (thing, colour)
    ("a ripe banana", "yellow"), ("grass", "green"), ("a clear daytime sky", "blue"), ("fresh snow", "white"),
    ("coal", "black"), ("a ripe tomato", "red"), ("a carrot", "orange"), ("a lemon", "yellow"), ("milk", "white"),
    ("milk chocolate", "brown"), ("a ripe strawberry", "red"), ("an aubergine", "dark purple"), ("a lime", "green"),
    ("a crow", "black"), ("a flamingo", "pink"), ("a polar bear's fur", "white"),
    ("an emerald", "green"), ("a ruby", "red"), ("a sapphire", "usually blue"), ("a zebra", "black and white"),
    ("blood", "red"), ("the inside of a kiwi fruit", "green"), ("a cucumber", "green"), ("a raven", "black"),
    ("a cherry", "red"), ("a blueberry", "dark blue"), ("charcoal", "black"), ("a tangerine", "orange"),
    ("a fire engine", "usually red"), ("an American school bus", "yellow"), ("a swan", "usually white"),
    ("an egg yolk", "yellow"), ("a pearl", "usually white"), ("the Chinese national flag", "red with five yellow stars"),
]
EN_MIXES = [("blue", "yellow", "green"), ("red", "yellow", "orange"), ("red", "blue", "purple"), ("red", "white", "pink"),
            ("black", "white", "grey")]
DAYS_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December"]
MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
ORDINALS_EN = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
               "eleventh", "twelfth"]
SEASON_OF_MONTH = ["winter", "winter", "spring", "spring", "spring", "summer", "summer", "summer", "autumn", "autumn",
                   "autumn", "winter"]
"""Meteorological seasons in the northern hemisphere, by month."""
ZODIAC_EN = ["Rat", "Ox", "Tiger", "Rabbit", "Dragon", "Snake", "Horse", "Goat", "Monkey", "Rooster", "Dog", "Pig"]
ZODIAC_ZH = ["鼠", "牛", "虎", "兔", "龙", "蛇", "马", "羊", "猴", "鸡", "狗", "猪"]


def _chat_en() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for country, capital, _, _ in CAPITALS:
        c = country
        out += [(f"What is the capital of {c}?", f"The capital of {c} is {capital}."),
                (f"What's the capital city of {c}?", f"{capital} is the capital of {c}."),
                (f"Which city is the capital of {c}?", f"It's {capital}."),
                (f"Capital of {c}?", f"{capital}."),
                (f"Remind me, what's the capital of {c}?", f"It's {capital}."),
                (f"Which country has {capital} as its capital?", f"{capital} is the capital of {c}."),
                (f"{capital} is the capital of which country?", f"{_cap(c)}.")]
    for name, symbol, _, number in ELEMENTS:
        out += [(f"What's the chemical symbol for {name}?", f"The chemical symbol for {name} is {symbol}."),
                (f"What is the symbol of {name} on the periodic table?", f"{_cap(name)} is written {symbol}."),
                (f"Which element has the symbol {symbol}?", f"{symbol} is {name}."),
                (f"What element does the symbol {symbol} stand for?", f"{symbol} stands for {name}.")]
        if number > 1:
            out += [(f"What is the atomic number of {name}?", f"The atomic number of {name} is {number}."),
                    (f"How many protons does an atom of {name} have?", f"An atom of {name} has {number} protons.")]
    for en, zh in WORDS:
        out += [(f"How do you say '{en}' in Chinese?", f"'{_cap(en)}' in Chinese is “{zh}”."),
                (f"What's the Chinese word for '{en}'?", f"The Chinese word for '{en}' is “{zh}”."),
                (f"What does “{zh}” mean in English?", f"“{zh}” means '{en}'."),
                (f"How would I say “{zh}” in English?", f"In English, “{zh}” is '{en}'.")]
    for word, opposite in EN_ANTONYMS:
        out += [(f"What's the opposite of '{word}'?", f"The opposite of '{word}' is '{opposite}'."),
                (f"Give me an antonym for '{word}'.", f"An antonym for '{word}' is '{opposite}'."),
                (f"What word means the opposite of '{word}'?", f"'{_cap(opposite)}' is the opposite of '{word}'.")]
    for word, synonym in EN_SYNONYMS:
        out += [(f"What's a synonym for '{word}'?", f"A synonym for '{word}' is '{synonym}'."),
                (f"Give me another word for '{word}'.", f"You could say '{synonym}'."),
                (f"What's another way to say '{word}'?", f"Try '{synonym}'.")]
    for term, meaning in EN_DEFINITIONS:
        out += [(f"What does '{term}' mean?", f"'{_cap(term)}' means {meaning}."),
                (f"Define '{term}' in simple words.", f"{_cap(term)}: {meaning}."),
                (f"What's the meaning of '{term}'?", f"It means {meaning}.")]
    for thing, colour in EN_COLOURS:
        out += [(f"What colour is {thing}?", f"{_cap(thing)} is {colour}."),
                (f"What color is {thing}?", f"{_cap(thing)} is {colour}."),
                (f"Tell me the colour of {thing}.", f"{_cap(thing)} is {colour}.")]
    for a, b, mix in EN_MIXES:
        for x, y in ((a, b), (b, a)):
            out += [(f"What colour do you get when you mix {x} and {y} paint?", f"Mixing {x} and {y} paint gives {mix}."),
                    (f"If I mix {x} and {y}, what colour do I get?", f"You get {mix}.")]
    for i, day in enumerate(DAYS_EN):
        after, before = DAYS_EN[(i + 1) % 7], DAYS_EN[i - 1]
        out += [(f"What day comes after {day}?", f"{after} comes after {day}."),
                (f"What day comes before {day}?", f"{before} comes before {day}."),
                (f"What's the day after {day}?", f"The day after {day} is {after}."),
                (f"If today is {day}, what day is tomorrow?", f"Tomorrow is {after}."),
                (f"If today is {day}, what day was yesterday?", f"Yesterday was {before}.")]
    for i, month in enumerate(MONTHS_EN):
        days = "28 days, or 29 in a leap year" if month == "February" else f"{MONTH_DAYS[i]} days"
        out += [(f"What month comes after {month}?", f"{MONTHS_EN[(i + 1) % 12]} comes after {month}."),
                (f"What month comes before {month}?", f"{MONTHS_EN[i - 1]} comes before {month}."),
                (f"How many days does {month} have?", f"{month} has {days}."),
                (f"Which month of the year is {month}?", f"{month} is the {ORDINALS_EN[i]} month of the year."),
                (f"What is the {ORDINALS_EN[i]} month of the year?", f"The {ORDINALS_EN[i]} month is {month}."),
                (f"In the northern hemisphere, which season is {month} in?",
                 f"{month} is in {SEASON_OF_MONTH[i]} (by the meteorological seasons).")]
    seasons = ["spring", "summer", "autumn", "winter"]
    for i, season in enumerate(seasons):
        out += [(f"Which season comes after {season}?", f"{_cap(seasons[(i + 1) % 4])} comes after {season}."),
                (f"Which season comes before {season}?", f"{_cap(seasons[i - 1])} comes before {season}.")]
    for i, animal in enumerate(ZODIAC_EN):
        nxt = ZODIAC_EN[(i + 1) % 12]
        out.append((f"Which animal comes after the {animal} in the Chinese zodiac?",
                    f"The {nxt} comes after the {animal}." if i < 11 else "After the Pig the cycle starts again with the Rat."))
        if i > 0:
            out.append((f"Which animal comes before the {animal} in the Chinese zodiac?",
                        f"The {ZODIAC_EN[i - 1]} comes before the {animal}."))
    out += [("How many animals are in the Chinese zodiac?", "There are 12: Rat, Ox, Tiger, Rabbit, Dragon, Snake, Horse, "
                                                            "Goat, Monkey, Rooster, Dog and Pig."),
            ("Which animal comes first in the Chinese zodiac?", "The Rat comes first.")]
    out += _en_units() + _en_nature() + _en_social() + _en_creative()
    return out


def _en_units() -> list[tuple[str, str]]:
    facts = [("seconds", "a minute", "60"), ("minutes", "an hour", "60"), ("hours", "a day", "24"), ("days", "a week", "seven"),
             ("months", "a year", "12"), ("days", "a leap year", "366"), ("days", "a common year", "365"),
             ("centimetres", "a metre", "100"), ("millimetres", "a centimetre", "10"), ("metres", "a kilometre", "1,000"),
             ("grams", "a kilogram", "1,000"), ("millilitres", "a litre", "1,000"), ("kilograms", "a tonne", "1,000"),
             ("inches", "a foot", "12"), ("feet", "a yard", "three"), ("yards", "a mile", "1,760"), ("ounces", "a pound", "16"),
             ("years", "a decade", "ten"), ("years", "a century", "100"), ("years", "a millennium", "1,000"),
             ("cents", "a dollar", "100"), ("pence", "a pound sterling", "100"), ("square metres", "a hectare", "10,000"),
             ("bits", "a byte", "eight"), ("milligrams", "a gram", "1,000"), ("weeks", "a fortnight", "two"),
             ("degrees", "a right angle", "90"), ("degrees", "a full circle", "360"), ("minutes", "a quarter of an hour", "15")]
    out = []
    for unit, whole, n in facts:
        out += [(f"How many {unit} are in {whole}?", f"There are {n} {unit} in {whole}."),
                (f"How many {unit} are there in {whole}?", f"{_cap(whole)} has {n} {unit}."),
                (f"How many {unit} make {whole}?", f"{_cap(n)} {unit} make {whole}.")]
    counts = [(["How many legs does a spider have?", "How many legs do spiders have?"], "A spider has eight legs."),
              (["How many legs does an insect have?", "How many legs do insects have?"], "Insects have six legs."),
              (["How many players does a football team have on the pitch?", "How many players are on a soccer team during a match?"],
               "Eleven players per team, including the goalkeeper."),
              (["How many cards are in a standard deck, without jokers?", "How many cards does a normal pack of cards have?"],
               "A standard deck has 52 cards, plus jokers in some packs."),
              (["How many strings does a standard guitar have?", "How many strings are on a normal guitar?"], "A standard guitar has six strings."),
              (["How many planets are in our solar system?", "How many planets orbit the Sun?"], "There are eight planets in our solar system."),
              (["How many continents are there?", "How many continents does the world have?"],
               "By the most common count there are seven: Africa, Antarctica, Asia, Australia (Oceania), Europe, North America and South America."),
              (["How many colours are in a rainbow?", "What are the colours of the rainbow?"],
               "A rainbow is usually described with seven colours: red, orange, yellow, green, blue, indigo and violet."),
              (["How many items are in a dozen?", "How many is a dozen?"], "A dozen is 12."),
              (["How many letters are in the English alphabet?", "How many letters does the English alphabet have?"],
               "The English alphabet has 26 letters."),
              (["How many hearts does an octopus have?", "Is it true an octopus has more than one heart?"], "Yes, an octopus has three hearts."),
              (["How many teeth does an adult usually have?", "How many adult teeth do people have?"],
               "An adult usually has 32 teeth, including the four wisdom teeth."),
              (["How many faces does a standard die have?", "How many sides does a normal dice have?"], "A standard die has six faces."),
              (["How many wheels does a tricycle have?", "A tricycle has how many wheels?"], "A tricycle has three wheels."),
              (["How long is a football match?", "How many minutes does a soccer match last?"],
               "A football match lasts 90 minutes, two halves of 45, plus stoppage time."),
              (["How many players are on a basketball team on court?", "How many basketball players per team play at once?"],
               "Five players per team are on the court."),
              (["How many squares are on a chessboard?", "How many squares does a chess board have?"], "A chessboard has 64 squares.")]
    for requests, answer in counts:
        out += [(request, answer) for request in requests]
    return out


def _en_nature() -> list[tuple[str, str]]:
    sounds = [("dog", "A dog barks: 'woof!'"), ("cat", "A cat meows."), ("cow", "A cow moos."), ("sheep", "A sheep bleats: 'baa!'"),
              ("duck", "A duck quacks."), ("pig", "A pig oinks."), ("horse", "A horse neighs."), ("lion", "A lion roars."),
              ("owl", "An owl hoots."), ("rooster", "A rooster crows: 'cock-a-doodle-doo!'"), ("frog", "A frog croaks, or goes 'ribbit'."),
              ("bee", "A bee buzzes."), ("snake", "A snake hisses."), ("mouse", "A mouse squeaks."), ("wolf", "A wolf howls."),
              ("donkey", "A donkey brays: 'hee-haw!'"), ("goat", "A goat bleats."), ("elephant", "An elephant trumpets."),
              ("crow", "A crow caws."), ("dove", "A dove coos."), ("turkey", "A turkey gobbles."), ("goose", "A goose honks.")]
    out = []
    for animal, answer in sounds:
        out += [(f"What sound does {_a(animal)} make?", answer), (f"What noise does {_a(animal)} make?", answer),
                (f"What do you call the sound {_a(animal)} makes?", answer)]
    babies = [("cat", "kitten"), ("dog", "puppy"), ("cow", "calf"), ("sheep", "lamb"), ("horse", "foal"), ("goat", "kid"),
              ("frog", "tadpole"), ("kangaroo", "joey"), ("bear", "cub"), ("lion", "cub"), ("duck", "duckling"),
              ("goose", "gosling"), ("swan", "cygnet"), ("pig", "piglet"), ("owl", "owlet"), ("deer", "fawn"),
              ("chicken", "chick"), ("eagle", "eaglet"), ("seal", "pup"), ("whale", "calf")]
    for animal, baby in babies:
        out += [(f"What is a baby {animal} called?", f"A baby {animal} is called {_a(baby)}."),
                (f"What do you call a young {animal}?", f"A young {animal} is {_a(baby)}.")]
    shapes = [("triangle", 3), ("square", 4), ("rectangle", 4), ("pentagon", 5), ("hexagon", 6), ("heptagon", 7),
              ("octagon", 8), ("nonagon", 9), ("decagon", 10), ("dodecagon", 12)]
    for shape, n in shapes:
        out += [(f"How many sides does {_a(shape)} have?", f"{_cap(_a(shape))} has {n} sides."),
                (f"How many corners does {_a(shape)} have?", f"{_cap(_a(shape))} has {n} corners.")]
        if shape not in ("square", "rectangle"):
            out.append((f"What do you call a shape with {n} straight sides?", f"A shape with {n} straight sides is {_a(shape)}."))
    out += [("How many faces does a cube have?", "A cube has six faces."), ("How many edges does a cube have?", "A cube has 12 edges."),
            ("How many corners does a cube have?", "A cube has eight corners (vertices)."),
            ("How many faces does a triangular pyramid have?", "A triangular pyramid (tetrahedron) has four faces."),
            ("Which planet is closest to the Sun?", "Mercury is the closest planet to the Sun."),
            ("Which planet is known as the Red Planet?", "Mars is known as the Red Planet."),
            ("Which planet is famous for its rings?", "Saturn, although Jupiter, Uranus and Neptune have fainter rings too."),
            ("Which planet is farthest from the Sun?", "Neptune is the farthest planet from the Sun."),
            ("What is the order of the planets from the Sun?",
             "Mercury, Venus, Earth, Mars, Jupiter, Saturn, Uranus and Neptune."),
            ("Which planet is closest to Earth in size?", "Venus is the closest to Earth in size."),
            ("What is the closest star to Earth?", "The Sun is the closest star to Earth."),
            ("What is Earth's natural satellite called?", "It's the Moon.")]
    holidays = [("Christmas Day", "25 December"), ("New Year's Day", "1 January"), ("Valentine's Day", "14 February"),
                ("Halloween", "31 October"), ("Independence Day in the US", "4 July"), ("Boxing Day", "26 December"),
                ("New Year's Eve", "31 December"), ("April Fools' Day", "1 April"), ("International Women's Day", "8 March"),
                ("Christmas Eve", "24 December"), ("Bastille Day in France", "14 July"), ("St Patrick's Day", "17 March"),
                ("Canada Day", "1 July"), ("Bonfire Night in the UK", "5 November"), ("International Workers' Day", "1 May"),
                ("China's National Day", "1 October"), ("the Spring Festival", "the first day of the first lunar month"),
                ("the Lantern Festival", "the 15th day of the first lunar month"),
                ("the Dragon Boat Festival", "the fifth day of the fifth lunar month"),
                ("the Mid-Autumn Festival", "the 15th day of the eighth lunar month"),
                ("the Double Ninth Festival", "the ninth day of the ninth lunar month"),
                ("the Qixi Festival", "the seventh day of the seventh lunar month")]
    for holiday, date in holidays:
        out += [(f"When is {holiday}?", f"{_cap(holiday)} is on {date}."), (f"What date is {holiday}?", f"It's on {date}."),
                (f"On what date do people celebrate {holiday}?", f"{_cap(holiday)} is celebrated on {date}.")]
    out += [("What do people eat at the Mid-Autumn Festival?", "Mooncakes, usually while admiring the full moon."),
            ("What do people eat at the Dragon Boat Festival?", "Zongzi: sticky rice wrapped in bamboo leaves."),
            ("What do people eat at the Lantern Festival?", "Tangyuan (yuanxiao), sweet glutinous rice balls."),
            ("What do people eat at Thanksgiving in the US?", "Roast turkey is the classic dish, often with stuffing and cranberry sauce."),
            ("What is the traditional food for Chinese New Year's Eve in northern China?", "Dumplings (jiaozi)."),
            ("What do people do at the Dragon Boat Festival?", "They race dragon boats and eat zongzi.")]
    return out


def _en_social() -> list[tuple[str, str]]:
    out = []
    greets = [("Hi", "Hi! How can I help you today?"), ("Hello", "Hello! What can I do for you?"),
              ("Hey", "Hey! What can I help you with?"), ("Hey there", "Hey there! What can I do for you?"),
              ("Good morning", "Good morning! How can I help you today?"), ("Good afternoon", "Good afternoon! What can I do for you?"),
              ("Good evening", "Good evening! How can I help?"), ("Hiya", "Hiya! What can I help you with?"),
              ("Morning", "Morning! What's on your mind today?"), ("Greetings", "Greetings! How can I help?")]
    for greet, reply in greets:
        out += [(f"{greet}!", reply), (f"{greet}, Lingxi!", reply), (f"{greet} :)", reply),
                (f"{greet}, are you there?", "Yes, I'm here! What can I do for you?"),
                (f"{greet}, nice to see you!", "Nice to see you too! What can I do for you?")]
    for i, question in enumerate(["How are you?", "How's it going?", "How are you doing today?", "How have you been?",
                                  "How's your day going?", "Are you doing okay?", "How are things?"]):
        for lead in ["", "Hi, ", "Hey, ", "Hello Lingxi, "]:
            text = lead + (question if not lead else question[0].lower() + question[1:])
            out.append((text, ["I'm doing well, thanks for asking! How can I help you?",
                               "All good here, thank you! What can I do for you today?"][i % 2]))
    replies = ["You're welcome!", "Happy to help!", "Anytime!", "Glad I could help!", "My pleasure!"]
    thanks = ["Thanks", "Thank you", "Thanks a lot", "Many thanks", "Cheers", "Thank you so much", "Thanks a million",
              "Much appreciated", "Thank you kindly"]
    tails = ["!", " for your help!", ", that's exactly what I needed.", ", that really helped.", ", you're a star!",
             ", that clears it up."]
    for i, (thank, tail) in enumerate(product(thanks, tails)):
        out.append((thank + tail, replies[i % len(replies)] + " Let me know if you need anything else."))
    byes = [("Bye", "Bye! Have a great day."), ("Goodbye", "Goodbye! Come back any time."),
            ("See you later", "See you later!"), ("Talk to you soon", "Talk soon! Take care."),
            ("Catch you later", "Catch you later!"), ("Have a good day", "You too! Come back any time."),
            ("Take care", "You too, take care!"), ("I'm off now", "Okay, see you next time!"),
            ("That's all for today", "Great, glad I could help. See you next time!"),
            ("Good night", "Good night! Sleep well."), ("I'm going to bed", "Good night! Sleep well."),
            ("Have a nice weekend", "Thanks, you too! Enjoy your weekend.")]
    for bye, reply in byes:
        out += [(f"{bye}!", reply), (f"{bye}, thanks!", reply), (f"{bye}, Lingxi!", reply),
                (f"{bye}. Thanks for everything.", "You're welcome! " + reply)]
    for sorry in ["Sorry for the late reply", "Sorry, I was away for a bit", "Sorry to bother you again",
                  "Oops, sorry about that", "Sorry, I typed that wrong"]:
        out += [(f"{sorry}.", "No problem at all! How can I help?"), (f"{sorry}!", "No worries! What can I do for you?")]
    for praise in ["You're great", "You're really helpful", "Good job", "Nice work", "That was quick", "You're the best"]:
        out += [(f"{praise}!", "Thank you! Happy to help any time."), (f"{praise}, thanks!", "Thanks, that's kind of you!")]
    return out


def _en_creative() -> list[tuple[str, str]]:
    out = []
    people = ["mum", "dad", "grandma", "grandpa", "best friend", "neighbour", "teacher", "coach", "aunt",
              "uncle", "cousin", "boss", "little brother", "big sister", "husband", "wife", "flatmate"]
    wishes = ["Happy birthday! Wishing you a wonderful year full of joy, good health and lovely surprises.",
              "Happy birthday! May this year bring you everything that makes you smile.",
              "Happy birthday! Here's to a fantastic day and an even better year ahead."]
    for i, person in enumerate(people):
        out += [(f"Help me wish my {person} a happy birthday.", wishes[i % 3]),
                (f"Give me a one-line birthday wish for my {person}.", wishes[(i + 1) % 3]),
                (f"What should I write on a birthday card for my {person}?",
                 f"Something like: 'Happy birthday! Thank you for being such a wonderful {person}. Have a fantastic day!'")]
    events = [("just started a new job", "the new job"), ("graduated", "your graduation"), ("had a baby", "the new baby"),
              ("bought a house", "your new home"), ("finished a marathon", "finishing the marathon"),
              ("got engaged", "your engagement"), ("retired", "your retirement"),
              ("got promoted", "your promotion"),
              ("opened a café", "opening your café")]
    for person in ["friend", "colleague", "sister", "brother", "neighbour", "cousin"]:
        for event, noun in events:
            out += [(f"My {person} {event}. Write a short congratulations message.",
                     f"Congratulations on {noun}! I'm so happy for you. Wishing you all the best."),
                    (f"Help me congratulate my {person}, who {event}.",
                     f"Here's one: 'Congratulations on {noun}! You deserve it, and I can't wait to celebrate with you.'")]
    names = [("black", "Shadow"), ("white", "Snowball"), ("ginger", "Sunny"), ("brown", "Cocoa"), ("grey", "Pebble"),
             ("spotted", "Patch"), ("cream", "Honey")]
    for colour, name in names:
        for pet in ["cat", "dog", "rabbit", "hamster", "kitten", "puppy"]:
            out += [(f"Suggest a name for my {colour} {pet}.", f"How about '{name}'? It suits {_a(colour)} {pet}."),
                    (f"What should I call my new {colour} {pet}?", f"'{name}' would be a sweet name for {_a(colour)} {pet}.")]
    for event in ["exam", "first day at a new school", "driving lesson", "piano recital",
                  "speech at my friend's wedding", "swimming competition", "dance performance"]:
        out += [(f"Tomorrow is my {event} and my stomach is in knots.",
                 "That's completely normal. Prepare what you can, get a good night's sleep and take a few slow breaths "
                 "before you start. You've got this!"),
                (f"Wish me luck for my {event} tomorrow!", "Good luck! You've prepared for this, and you'll do great."),
                (f"Any quick advice? My {event} is tomorrow and I'm anxious.",
                 "Go over the key parts once, then stop and rest. Breathe slowly, arrive early, and remember "
                 "that a few nerves mean you care.")]
    return out


ZH_ANTONYMS = [  # pairs asked both ways
    ("大", "小"), ("长", "短"), ("胖", "瘦"), ("冷", "热"), ("快", "慢"), ("黑", "白"), ("前", "后"), ("左", "右"), ("上", "下"),
    ("开", "关"), ("真", "假"), ("多", "少"), ("远", "近"), ("深", "浅"), ("早", "晚"), ("轻", "重"), ("强", "弱"),
    ("宽", "窄"), ("厚", "薄"), ("硬", "软"), ("干", "湿"), ("美", "丑"), ("贵", "便宜"), ("勤劳", "懒惰"), ("简单", "复杂"),
    ("干净", "肮脏"), ("热闹", "冷清"), ("成功", "失败"), ("安全", "危险"), ("开始", "结束"), ("熟悉", "陌生"),
    ("光明", "黑暗"), ("整齐", "杂乱"), ("快乐", "悲伤"), ("勇敢", "胆小"), ("聪明", "愚笨"), ("积极", "消极"),
    ("增加", "减少"), ("出发", "到达"), ("集合", "解散"), ("上升", "下降"), ("进步", "退步"), ("骄傲", "谦虚"),
    ("粗心", "细心"), ("坚强", "软弱"), ("答应", "拒绝"), ("表扬", "批评"), ("宽阔", "狭窄"), ("拥挤", "宽敞"),
    ("清楚", "模糊"), ("温暖", "寒冷"), ("白天", "黑夜"), ("买", "卖"), ("哭", "笑"), ("里", "外"), ("输", "赢"),
    ("古代", "现代"), ("东", "西"), ("南", "北"), ("新", "旧"),
]
ZH_ONE_WAY_ANTONYMS = [("矮", "高"), ("低", "高"), ("胜利", "失败"), ("借", "还"), ("年轻", "年老")]
ZH_SYNONYMS = [
    ("美丽", "漂亮"), ("聪明", "机灵"), ("勇敢", "英勇"), ("认真", "仔细"), ("安静", "寂静"), ("着急", "焦急"),
    ("温暖", "暖和"), ("迅速", "快速"), ("寻找", "查找"), ("帮助", "协助"), ("立刻", "马上"), ("特别", "格外"),
    ("希望", "盼望"), ("喜欢", "喜爱"), ("担心", "忧虑"), ("宽阔", "广阔"), ("坚固", "牢固"), ("仿佛", "好像"),
    ("突然", "忽然"), ("朋友", "伙伴"), ("办法", "方法"), ("原因", "缘故"), ("愉快", "快乐"), ("发现", "发觉"),
    ("寂寞", "孤单"), ("惊讶", "吃惊"), ("懂得", "明白"), ("诚实", "老实"), ("普通", "平常"), ("居然", "竟然"),
    ("温柔", "柔和"), ("优秀", "出色"), ("美好", "美妙"), ("安慰", "抚慰"), ("观察", "察看"), ("立即", "马上"),
    ("珍贵", "宝贵"), ("清澈", "清亮"), ("考虑", "思考"), ("鼓励", "激励"),
]
ZH_DEFINITIONS = [  # (word, predicate): "“word”" + predicate reads as a sentence
    ("守株待兔", "比喻死守狭隘的经验、不知变通，也指妄想不劳而获"), ("画蛇添足", "比喻做了多余的事，反而弄巧成拙"),
    ("亡羊补牢", "比喻出了问题以后及时补救，还不算晚"), ("对牛弹琴", "比喻说话不看对象，对不懂的人讲深奥的道理"),
    ("井底之蛙", "比喻见识短浅的人"), ("半途而废", "指事情做到一半就停下来，不能坚持到底"),
    ("一举两得", "指做一件事同时得到两方面的好处"), ("三心二意", "形容不专心，拿不定主意"),
    ("自相矛盾", "比喻自己说话做事前后抵触"), ("掩耳盗铃", "比喻自己欺骗自己，明明掩盖不住的事偏要设法掩盖"),
    ("拔苗助长", "比喻违反事物的发展规律，急于求成，反而把事情弄糟"), ("胸有成竹", "比喻做事之前已经有了通盘考虑，心里有把握"),
    ("杯弓蛇影", "比喻疑神疑鬼，自相惊扰"), ("狐假虎威", "比喻倚仗别人的势力来欺压人"),
    ("刻舟求剑", "比喻拘泥成法，不懂得随着情况的变化而变通"), ("滥竽充数", "比喻没有真才实学的人混在行家里凑数"),
    ("叶公好龙", "比喻表面上爱好某样东西，实际上并不真爱好"), ("望梅止渴", "比喻用空想来安慰自己"),
    ("卧薪尝胆", "形容刻苦自励、发愤图强"), ("纸上谈兵", "比喻空谈理论，不能解决实际问题"),
    ("破釜沉舟", "比喻下定决心，不留退路，一干到底"), ("指鹿为马", "比喻故意颠倒黑白、混淆是非"),
    ("塞翁失马", "比喻坏事在一定条件下也能变成好事"), ("愚公移山", "比喻做事有恒心，不怕困难，坚持不懈"),
    ("精卫填海", "比喻意志坚决，不畏艰难"), ("鹬蚌相争", "比喻双方相持不下，结果让第三方得了好处"),
    ("朝三暮四", "原指用诈术骗人，后来多比喻反复无常"), ("班门弄斧", "比喻在行家面前卖弄本事"),
    ("草木皆兵", "形容人在惊慌时疑神疑鬼"), ("一鼓作气", "比喻趁着劲头大的时候一口气把事情做完"),
    ("光合作用", "指绿色植物利用阳光，把二氧化碳和水变成养分，同时放出氧气的过程"),
    ("蒸发", "指液体变成气体的现象，比如地上的水被太阳晒干"), ("哺乳动物", "指身上有毛、用乳汁喂养幼崽的温血动物"),
    ("两栖动物", "指像青蛙这样既能在水中生活、也能在陆地上生活的动物"), ("半岛", "指三面环水、一面与大陆相连的陆地"),
    ("群岛", "指彼此相距很近的许多岛屿"), ("赤道", "指环绕地球表面、与南北两极距离相等的假想圆周线"),
    ("冬眠", "指某些动物在冬季进入的一种长时间沉睡状态"), ("迁徙", "指动物随季节从一个地区移到另一个地区"),
    ("食草动物", "指以植物为食的动物"), ("杂食动物", "指既吃植物又吃肉的动物"), ("传记", "指记述一个人生平事迹的作品"),
    ("自传", "指作者叙述自己生平经历的作品"), ("乐观", "指对事物的发展充满信心，总往好的方面想"),
    ("守时", "指遵守约定的时间，不迟到"), ("同理心", "指能站在别人的角度理解和体会对方感受的能力"),
]
ZH_COLOURS = [  # (thing, predicate)
    ("熟透的香蕉", "是黄色的"), ("青草", "是绿色的"), ("晴天的天空", "是蓝色的"), ("刚下的雪", "是白色的"), ("煤", "是黑色的"),
    ("熟透的西红柿", "是红色的"), ("胡萝卜", "是橙色的"), ("柠檬", "是黄色的"), ("牛奶", "是白色的"), ("巧克力", "一般是棕色的"),
    ("草莓", "是红色的"), ("茄子", "一般是紫色的"), ("乌鸦", "是黑色的"), ("南瓜", "一般是橙黄色的"), ("火烈鸟", "是粉红色的"),
    ("北极熊的毛", "看起来是白色的"), ("黄瓜", "是绿色的"), ("樱桃", "是红色的"), ("蓝莓", "是蓝紫色的"), ("珍珠", "通常是白色的"),
    ("红宝石", "是红色的"), ("翡翠", "是绿色的"), ("斑马", "是黑白相间的"), ("天鹅", "通常是白色的"), ("血液", "是红色的"),
    ("橘子", "是橙色的"), ("喜鹊", "是黑白相间的"), ("中国国旗", "是红色的，上面有五颗黄色的星星"), ("蛋黄", "是黄色的"),
    ("木炭", "是黑色的"), ("消防车", "通常是红色的"), ("猕猴桃的果肉", "是绿色的"),
]
ZH_MIXES = [("蓝色", "黄色", "绿色"), ("红色", "黄色", "橙色"), ("红色", "蓝色", "紫色"), ("红色", "白色", "粉色"), ("黑色", "白色", "灰色")]
DAYS_ZH = ["一", "二", "三", "四", "五", "六", "日"]
MONTHS_ZH = ["一", "二", "三", "四", "五", "六", "七", "八", "九", "十", "十一", "十二"]
SEASONS_ZH = {"winter": "冬", "spring": "春", "summer": "夏", "autumn": "秋"}


def _chat_zh() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for _, _, country, capital in CAPITALS:
        out += [(f"{country}的首都是哪里？", f"{country}的首都是{capital}。"),
                (f"{country}的首都是哪座城市？", f"是{capital}。"),
                (f"{country}首都叫什么？", f"{country}的首都叫{capital}。"),
                (f"你知道{country}的首都吗？", f"知道，{country}的首都是{capital}。"),
                (f"{country}的首都在哪儿？", f"在{capital}。"),
                (f"{capital}是哪个国家的首都？", f"{capital}是{country}的首都。"),
                (f"哪个国家的首都是{capital}？", f"是{country}。")]
    for _, symbol, name, number in ELEMENTS:
        out += [(f"{name}的元素符号是什么？", f"{name}的元素符号是 {symbol}。"),
                (f"元素{name}的化学符号怎么写？", f"写作 {symbol}。"),
                (f"化学符号 {symbol} 代表什么元素？", f"{symbol} 代表{name}元素。"),
                (f"元素符号是 {symbol} 的是哪种元素？", f"是{name}。")]
        if number > 1:
            out += [(f"{name}的原子序数是多少？", f"{name}的原子序数是{number}。"),
                    (f"{name}是第几号元素？", f"{name}是第{number}号元素。")]
    for en, zh in WORDS:
        out += [(f"“{zh}”用英语怎么说？", f"“{zh}”的英文是 {en}。"),
                (f"“{zh}”的英文单词是什么？", f"是 {en}。"),
                (f"英文 {en} 是什么意思？", f"{en} 的意思是“{zh}”。"),
                (f"{en} 翻译成中文是什么？", f"{en} 翻译成中文是“{zh}”。")]
    pairs = [(a, b) for a, b in ZH_ANTONYMS] + [(b, a) for a, b in ZH_ANTONYMS] + ZH_ONE_WAY_ANTONYMS
    for word, opposite in pairs:
        out += [(f"“{word}”的反义词是什么？", f"“{word}”的反义词是“{opposite}”。"),
                (f"和“{word}”意思相反的词是什么？", f"是“{opposite}”。"),
                (f"说一个“{word}”的反义词。", f"“{opposite}”。")]
    for word, synonym in ZH_SYNONYMS:
        out += [(f"“{word}”的近义词是什么？", f"“{word}”的近义词有“{synonym}”。"),
                (f"给我一个和“{word}”意思相近的词。", f"可以用“{synonym}”。"),
                (f"“{word}”可以换成哪个意思差不多的词？", f"可以换成“{synonym}”。")]
    for word, meaning in ZH_DEFINITIONS:
        out += [(f"“{word}”是什么意思？", f"“{word}”{meaning}。"), (f"解释一下“{word}”这个词。", f"“{word}”{meaning}。"),
                (f"“{word}”指的是什么？", f"“{word}”{meaning}。")]
    for thing, colour in ZH_COLOURS:
        out += [(f"{thing}是什么颜色的？", f"{thing}{colour}。"), (f"{thing}一般是什么颜色？", f"{thing}{colour}。"),
                (f"说说{thing}的颜色。", f"{thing}{colour}。")]
    for a, b, mix in ZH_MIXES:
        for x, y in ((a, b), (b, a)):
            out += [(f"{x}和{y}的颜料混在一起是什么颜色？", f"{x}和{y}混合会变成{mix}。"),
                    (f"把{x}和{y}调在一起会得到什么颜色？", f"会得到{mix}。")]
    for i, day in enumerate(DAYS_ZH):
        after, before = DAYS_ZH[(i + 1) % 7], DAYS_ZH[i - 1]
        out += [(f"星期{day}的后一天是星期几？", f"是星期{after}。"), (f"星期{day}的前一天是星期几？", f"是星期{before}。"),
                (f"如果今天是周{day}，明天是周几？", f"明天是周{after}。"), (f"如果今天是周{day}，昨天是周几？", f"昨天是周{before}。")]
    for i, month in enumerate(MONTHS_ZH):
        n = i + 1
        days = "平年28天，闰年29天" if n == 2 else f"有{MONTH_DAYS[i]}天"
        size = "二月比较特殊，平年28天，闰年29天" if n == 2 else ("是大月，有31天" if MONTH_DAYS[i] == 31 else "是小月，有30天")
        out += [(f"{n}月有多少天？", f"{n}月{days}。"),
                (f"{month}月是大月还是小月？", f"{month}月{size}。" if n != 2 else f"{size}。"),
                (f"{n}月属于哪个季节？", f"在北半球，{n}月一般算{SEASONS_ZH[SEASON_OF_MONTH[i]]}季。"),
                (f"{month}月的下一个月是几月？", f"是{MONTHS_ZH[(i + 1) % 12]}月。")]
    seasons = ["春天", "夏天", "秋天", "冬天"]
    for i, season in enumerate(seasons):
        out += [(f"{season}过后是什么季节？", f"是{seasons[(i + 1) % 4]}。"), (f"{season}之前是什么季节？", f"是{seasons[i - 1]}。")]
    out += [("一年中北半球白天最长的是哪个节气？", "是夏至。"),
            ("一年中北半球白天最短的是哪个节气？", "是冬至。"), ("哪两个节气昼夜差不多一样长？", "春分和秋分。"),
            ("二十四节气一共有多少个？", "一共24个。")]
    for i, animal in enumerate(ZODIAC_ZH):
        out += [(f"十二生肖里{animal}后面是什么？", f"{animal}后面是{ZODIAC_ZH[(i + 1) % 12]}。" if i < 11
                 else "猪是最后一个，再往后就从鼠重新开始。"),
                (f"生肖{animal}排第几？", f"{animal}在十二生肖里排第{i + 1}。")]
        if i > 0:
            out.append((f"十二生肖中排在{animal}前面的是什么？", f"排在{animal}前面的是{ZODIAC_ZH[i - 1]}。"))
    out += [("十二生肖的顺序是什么？", "鼠、牛、虎、兔、龙、蛇、马、羊、猴、鸡、狗、猪。")]
    out += _zh_units() + _zh_nature() + _zh_social() + _zh_creative()
    return out


def _zh_units() -> list[tuple[str, str]]:
    facts = [("一分钟", "秒", "60"), ("一小时", "分钟", "60"), ("一天", "个小时", "24"), ("一周", "天", "7"),
             ("一年", "个月", "12"), ("闰年", "天", "366"), ("平年", "天", "365"), ("一米", "厘米", "100"),
             ("一厘米", "毫米", "10"), ("一公里", "米", "1000"), ("一公斤", "克", "1000"), ("一斤", "克", "500"),
             ("一公斤", "斤", "2"), ("一升", "毫升", "1000"), ("一吨", "公斤", "1000"), ("一公顷", "平方米", "10000"),
             ("一元", "角", "10"), ("一角", "分", "10"), ("一个世纪", "年", "100"), ("一年", "个季度", "4"),
             ("一个直角", "度", "90"), ("一个周角", "度", "360"), ("一个字节", "位", "8"), ("一打", "个", "12"),
             ("一斤", "两", "10"), ("一两", "克", "50"), ("一英尺", "英寸", "12"), ("一刻钟", "分钟", "15")]
    out = []
    for whole, unit, n in facts:
        out += [(f"{whole}有多少{unit}？", f"{whole}有{n}{unit}。"), (f"{whole}等于多少{unit}？", f"{whole}等于{n}{unit}。"),
                (f"{whole}是几{unit}？", f"是{n}{unit}。")]
    counts = [(["蜘蛛有几条腿？", "蜘蛛长了几条腿？"], "蜘蛛有8条腿。"), (["昆虫有几条腿？", "昆虫一般有几条腿？"], "昆虫有6条腿。"),
              (["一副扑克牌有多少张？", "扑克牌一副几张？"], "一副扑克牌有54张（含大小王），去掉大小王是52张。"),
              (["足球比赛每队上场几个人？", "一支足球队场上有几名球员？"], "每队上场11人，包括守门员。"),
              (["篮球比赛每队上场几个人？", "篮球场上一队有几个人？"], "每队上场5人。"),
              (["太阳系有几颗行星？", "太阳系一共有几大行星？"], "太阳系有八大行星。"),
              (["世界上有几大洲？", "地球上一共有几个大洲？"], "七大洲：亚洲、欧洲、非洲、北美洲、南美洲、大洋洲和南极洲。"),
              (["彩虹有几种颜色？", "彩虹是哪几种颜色？"], "通常说有七种：红、橙、黄、绿、青、蓝、紫。"),
              (["英文字母有多少个？", "英语一共有几个字母？"], "英文字母一共26个。"),
              (["十二生肖一共有几个？", "生肖总共有几个？"], "一共12个。"),
              (["国际象棋棋盘有多少个格子？", "国际象棋的棋盘是几乘几？"], "国际象棋棋盘是8×8，共64格。"),
              (["成年人一般有多少颗牙？", "大人有几颗牙齿？"], "成年人一般有28到32颗牙，看智齿长没长。"),
              (["章鱼有几颗心脏？", "章鱼是不是有好几个心脏？"], "是的，章鱼有三颗心脏。")]
    for requests, answer in counts:
        out += [(request, answer) for request in requests]
    return out


def _zh_nature() -> list[tuple[str, str]]:
    sounds = [("小狗", "汪汪"), ("小猫", "喵喵"), ("牛", "哞哞"), ("羊", "咩咩"), ("鸭子", "嘎嘎"), ("公鸡", "喔喔"),
              ("青蛙", "呱呱"), ("小鸡", "叽叽"), ("蜜蜂", "嗡嗡"), ("布谷鸟", "布谷、布谷"), ("老鼠", "吱吱"),
              ("麻雀", "叽叽喳喳"), ("知了", "知了、知了"), ("猪", "哼哼"), ("蛇", "嘶嘶"), ("大雁", "嘎嘎")]
    out = []
    for animal, sound in sounds:
        out += [(f"{animal}怎么叫？", f"{animal}“{sound}”地叫。"), (f"{animal}的叫声是什么样的？", f"{animal}的叫声是“{sound}”。"),
                (f"{animal}是怎么叫的？", f"“{sound}”。")]
    shapes = [("三角形", 3), ("正方形", 4), ("长方形", 4), ("五边形", 5), ("六边形", 6), ("七边形", 7), ("八边形", 8), ("十边形", 10)]
    for shape, n in shapes:
        out += [(f"{shape}有几条边？", f"{shape}有{n}条边。"), (f"{shape}有几个角？", f"{shape}有{n}个角。")]
    out += [("正方体有几个面？", "正方体有6个面。"), ("正方体有几条棱？", "正方体有12条棱。"), ("正方体有几个顶点？", "正方体有8个顶点。"),
            ("长方体有几个面？", "长方体有6个面。"), ("三棱锥有几个面？", "三棱锥有4个面。"),
            ("离太阳最近的行星是哪颗？", "是水星。"), ("哪颗行星被叫作红色星球？", "是火星。"),
            ("哪颗行星的光环最有名？", "土星，不过木星、天王星和海王星也有暗淡的环。"),
            ("八大行星按离太阳从近到远怎么排？", "水星、金星、地球、火星、木星、土星、天王星、海王星。"),
            ("离太阳最远的行星是哪颗？", "是海王星。"), ("地球的天然卫星叫什么？", "叫月球，也就是月亮。"),
            ("离地球最近的恒星是哪颗？", "是太阳。")]
    festivals = [("春节", "农历正月初一", "吃饺子、贴春联、拜年"), ("元宵节", "农历正月十五", "吃元宵、赏花灯、猜灯谜"),
                 ("端午节", "农历五月初五", "吃粽子、赛龙舟"), ("七夕节", "农历七月初七", ""),
                 ("中秋节", "农历八月十五", "吃月饼、赏月、团圆"), ("重阳节", "农历九月初九", "登高、赏菊、敬老"),
                 ("腊八节", "农历腊月初八", "喝腊八粥"), ("清明节", "公历4月5日前后", "扫墓、踏青"),
                 ("国庆节", "10月1日", ""), ("劳动节", "5月1日", ""), ("儿童节", "6月1日", ""), ("元旦", "1月1日", ""),
                 ("教师节", "9月10日", ""), ("植树节", "3月12日", "植树"), ("妇女节", "3月8日", ""),
                 ("圣诞节", "12月25日", ""), ("情人节", "2月14日", ""), ("除夕", "农历一年的最后一天", "吃年夜饭、守岁")]
    for festival, date, custom in festivals:
        out += [(f"{festival}是哪一天？", f"{festival}是{date}。"), (f"{festival}在几月几号？", f"在{date}。")]
        if custom:
            out.append((f"{festival}有什么习俗？", f"{festival}一般会{custom}。"))
    return out


def _zh_social() -> list[tuple[str, str]]:
    out = []
    greets = [("你好", "你好！有什么可以帮你的吗？"), ("您好", "您好！请问有什么可以帮您？"), ("嗨", "嗨！今天想聊点什么？"),
              ("哈喽", "哈喽！有什么需要帮忙的？"), ("早上好", "早上好！新的一天，有什么可以帮你的？"),
              ("早安", "早安！今天有什么安排吗？"), ("中午好", "中午好！记得好好吃午饭哦，有什么可以帮你？"),
              ("下午好", "下午好！有什么需要尽管说。"), ("晚上好", "晚上好！今天过得怎么样？有什么可以帮你？")]
    for greet, reply in greets:
        out += [(f"{greet}！", reply), (f"{greet}，灵犀！", reply), (f"{greet}~", reply)]
        if greet not in ("嗨", "哈喽"):
            out.append((f"{greet}呀", reply))
    for ask in ["在吗？", "在不在？", "灵犀在吗？", "有人吗？", "你在吗？"]:
        out.append((ask, "在的！有什么可以帮你？"))
    for i, question in enumerate(["最近怎么样？", "今天过得好吗？", "你还好吗？", "忙不忙？", "最近好吗？", "今天心情怎么样？"]):
        for lead in ["", "嗨，", "你好，", "灵犀，"]:
            out.append((lead + question, ["我挺好的，谢谢关心！你呢？有什么需要帮忙的吗？",
                                          "一切都好，谢谢！今天有什么可以帮你的？"][i % 2]))
    replies = ["不客气！", "不用谢！", "能帮上忙就好！", "客气啦！", "随时为你效劳！"]
    thanks = ["谢谢", "谢谢你", "多谢", "太感谢了", "感谢", "谢啦", "非常感谢", "万分感谢", "谢谢灵犀"]
    tails = ["！", "，帮大忙了！", "，你真厉害！", "，这下清楚了。", "，问题解决了。", "，辛苦你了。"]
    for i, (thank, tail) in enumerate(product(thanks, tails)):
        out.append((thank + tail, replies[i % len(replies)] + "还有什么需要随时找我。"))
    byes = [("再见", "再见！有需要随时来找我。"), ("拜拜", "拜拜！祝你一切顺利。"), ("回头见", "回头见！"),
            ("下次聊", "好的，下次聊！"), ("我先走了", "好的，慢走！有需要随时回来。"), ("先不聊了", "好的，有需要再来找我。"),
            ("晚安", "晚安！祝你好梦。"), ("明天再聊", "好的，明天见！"), ("我去忙了", "去吧，加油！有事随时找我。"),
            ("我要睡觉了", "晚安，睡个好觉！"), ("周末愉快", "谢谢，你也周末愉快！")]
    for bye, reply in byes:
        out += [(f"{bye}！", reply), (f"{bye}，谢谢你！", "不客气！" + reply), (f"{bye}，今天就到这儿吧。", reply)]
    for sorry in ["不好意思，回复晚了", "抱歉，刚才走开了一下", "不好意思又来打扰你", "哎呀，刚才打错字了", "抱歉让你久等了"]:
        out += [(f"{sorry}。", "没关系！有什么需要帮忙的？"), (f"{sorry}！", "没事没事，有什么可以帮你？")]
    for praise in ["你真棒", "你太厉害了", "干得漂亮", "回答得真快", "你真贴心", "你太靠谱了"]:
        out += [(f"{praise}！", "谢谢夸奖！能帮到你我很开心。"), (f"{praise}，谢谢！", "不客气，你这么说我很开心！")]
    return out


def _zh_creative() -> list[tuple[str, str]]:
    out = []
    elders = {"妈妈": "关爱", "爸爸": "关爱", "奶奶": "疼爱", "爷爷": "疼爱", "外婆": "疼爱", "外公": "疼爱", "老师": "教导",
              "领导": "关照"}
    for person in list(elders) + ["好朋友", "闺蜜", "室友", "老公", "老婆", "弟弟", "姐姐"]:
        if person in elders:
            out += [(f"想给{person}送上生日祝福，说什么好？", "可以说：“祝您生日快乐，身体健康，万事如意！”"),
                    (f"{person}过生日，发什么祝福好？", "可以说：“祝您生日快乐，福寿安康，天天都有好心情！”"),
                    (f"给{person}的生日贺卡上写点什么？",
                     f"可以写：“亲爱的{person}，生日快乐！谢谢您一直以来的{elders[person]}，祝您健康快乐，一切顺心。”")]
        else:
            out += [(f"想给{person}送上生日祝福，说什么好？", "可以说：“生日快乐！愿你新的一岁开开心心，心想事成！”"),
                    (f"{person}过生日，发什么祝福好？", "可以发：“生日快乐！愿你被温柔以待，所有愿望都实现！”"),
                    (f"给{person}的生日贺卡上写点什么？", f"可以写：“亲爱的{person}，生日快乐！有你真好，愿你每天都闪闪发光。”")]
    events = [("升职了", "恭喜升职！实至名归，祝工作越来越顺！"), ("毕业了", "恭喜毕业！愿你前程似锦，未来可期！"),
              ("结婚了", "恭喜新婚！祝你们百年好合，永结同心！"), ("搬新家了", "恭喜乔迁新居！祝新家温馨，日子红红火火！"),
              ("考上研究生了", "恭喜上岸！努力没有白费，祝研究生生活顺利！"), ("家里添了个宝宝", "恭喜喜添宝宝！祝宝宝健康平安、快乐长大！"),
              ("开店了", "恭喜开业！祝生意兴隆，财源广进！"), ("退休了", "恭喜光荣退休！祝退休生活悠闲自在，身体健康！"),
              ("跑完了全程马拉松", "恭喜完赛！太厉害了，好好休息一下！")]
    for person in ["朋友", "同事", "表姐", "同学", "邻居", "发小"]:
        for event, words in events:
            out += [(f"我{person}{event}，帮我写句祝贺的话。", words), (f"{person}{event}，我该怎么祝贺？", f"可以说：“{words}”")]
    names = [("黑色的", "煤球"), ("白色的", "雪球"), ("橘色的", "橘子"), ("灰色的", "灰灰"), ("棕色的", "可可"),
             ("黑白花的", "奥利奥"), ("奶白色的", "汤圆")]
    for colour, name in names:
        for pet in ["猫", "小狗", "兔子", "仓鼠"]:
            out += [(f"给我家{colour}{pet}起个名字吧。", f"叫“{name}”怎么样？很适合{colour}{pet}。"),
                    (f"我新养了一只{colour}{pet}，叫什么好？", f"可以叫“{name}”，好听又好记。")]
    for event in ["考试", "比赛", "钢琴考级", "论文答辩", "驾照考试", "英语口语考试", "体测"]:
        out += [(f"后天就是{event}，心里有点慌。", "紧张很正常，说明你很重视。今晚早点睡，明天深呼吸，正常发挥就好，你一定行！"),
                (f"明天就要{event}了，给我打打气吧。", "加油！你已经准备了这么久，相信自己，一定没问题！"),
                (f"{event}前一晚睡不着，怎么办？", "别再熬夜复习了，泡个脚、听点轻音乐，把注意力放在慢慢呼吸上，很快就能睡着。")]
    return out


# ---- UNSERVED: actions none of the five tools can do ------------------------------------------
_EN_FRAMES = ["«V»«t».", "Please «v»«t».", "Can you «v»«t»?", "Could you «v»«t»?", "I need you to «v»«t».",
              "Go ahead and «v»«t»."]
_ZH_FRAMES = ["«t»«vp»。", "«t»帮我«vp»。", "麻烦你«t»«vp»。", "能不能«t»帮我«vp»？", "你«t»帮我«vp»吧。"]
_WHEN = {"time": ([" now", " tonight", " tomorrow at 7 am", " in half an hour", " before I get home", " this afternoon",
                   " on Saturday", " right away", " after lunch", ""],
                  ["现在", "今晚", "明天早上七点", "半小时后", "在我到家之前", "今天下午", "周六", "马上", "吃完午饭后", ""]),
         "now": ([" now", " right away", " for me", " as soon as you can", ""], ["现在", "马上", "尽快", ""]),
         "none": ([""], [""])}

# (action en, action zh, timing, English verb phrases, Chinese verb phrases); each action reads right in
# UNSERVED_ANSWERS: "Sorry, I can't {action}: ..." / "抱歉，我无法{action}：..."
_DOMAINS: list[tuple[str, str, str, list[str], list[str]]] = [
    ("control your lights", "控制家里的灯", "time",
     _expand(["«v» «o»"], v=["turn on", "switch off", "dim", "turn off", "brighten"],
             o=["the living-room lights", "the porch light", "the reading lamp", "the hallway lights", "the garden lights",
                "the kitchen ceiling light", "the lamp on my desk", "the bathroom light"]),
     _expand(["把«o»«v»"], o=["客厅的灯", "门口的灯", "床头的阅读灯", "走廊的灯", "院子里的灯", "厨房的吸顶灯", "书桌上的台灯",
                              "卫生间的灯"], v=["打开", "关掉", "调暗一点", "调亮一些"])),
    ("control your curtains and blinds", "控制窗帘", "time",
     _expand(["«v» «o»"], v=["open", "close", "shut"],
             o=["the bedroom curtains", "the skylight blinds", "the blinds in my office", "the kitchen blinds",
                "the blackout curtains in the nursery", "the patio curtains"]),
     _expand(["把«o»«v»"], o=["卧室的窗帘", "客厅的窗帘", "书房的百叶窗", "阳台的遮光帘", "儿童房的窗帘"],
             v=["拉上", "拉开", "关上", "打开"])),
    ("control your TV", "控制电视", "time",
     ["turn on the TV", "switch off the TV", "put the news on the TV", "switch the TV over to the cooking channel",
      "put a cartoon on the TV for the kids", "turn the TV volume down", "pause the film on the TV",
      "put the football on the big TV", "resume the show I was watching on the TV", "mute the TV"],
     ["打开电视", "把电视关了", "把电视调到新闻频道", "把电视换到体育频道", "给孩子在电视上放动画片", "把电视声音调小一点",
      "把电视上的电影暂停", "把电视换到纪录片频道", "在电视上接着播我昨天没看完的剧", "把电视静音"]),
    ("play music", "播放音乐", "time",
     _expand(["play «o» on «d»"], o=["some classical piano", "my road-trip playlist", "lo-fi beats",
                                     "the new album from my favourite band", "birdsong recordings", "Christmas songs", "some 80s pop"],
             d=["the kitchen speaker", "the living-room speaker", "my phone", "the car stereo"]),
     _expand(["用«d»放«o»"], d=["客厅音箱", "厨房的音箱", "车里的音响", "我的手机"],
             o=["几首钢琴曲", "我的通勤歌单", "周杰伦的歌", "轻音乐", "白噪音", "儿歌", "经典老歌"])),
    ("control your robot vacuum", "控制扫地机器人", "time",
     _expand(["send the robot vacuum to clean «r»", "have the robot vacuum mop «r»", "stop the robot vacuum in «r»"],
             r=["the kitchen", "the bedroom", "the living room", "the hallway", "the whole flat", "the study"]),
     _expand(["让扫地机器人把«r»扫一遍", "叫扫地机器人去拖一下«r»"], r=["客厅", "卧室", "厨房", "书房", "走廊", "整个屋子"])
     + ["让扫地机器人回去充电", "让扫地机器人停下来"]),
    ("control your washing machine", "控制洗衣机", "time",
     ["start a quick wash", "run the washing machine on the cotton programme", "start a 40-degree wash",
      "put the washing machine on a wool cycle", "start the dryer", "run the tumble dryer on low heat",
      "stop the washing machine", "add an extra rinse to the current wash"],
     ["把洗衣机调到快洗模式开始洗", "用洗衣机的棉麻程序洗这桶衣服", "启动烘干机", "把洗衣机的羊毛模式打开",
      "让洗衣机再加一次漂洗", "把洗衣机停了", "把洗衣机设成预约洗涤", "把烘干机调到低温烘干"]),
    ("open and close your gates and garage door", "开关车库门和大门", "time",
     _expand(["«v» «o»"], v=["open", "close"], o=["the garage door", "the front gate", "the driveway gate", "the side gate",
                                                 "the back gate"]),
     _expand(["把«o»«v»"], o=["车库门", "院门", "侧门", "后院的门", "电动门"], v=["打开", "关上"])),
    ("control smart locks", "控制智能门锁", "time",
     _expand(["«v» «o»"], v=["lock", "unlock"], o=["the front door", "the side door", "the garden shed", "the patio door",
                                                  "the storage room"]) + ["unlock the front door for the cleaner"],
     _expand(["把«o»«v»"], o=["大门的智能锁", "侧门", "储物间的门", "阳台门", "车库的侧门"], v=["锁上", "打开"])
     + ["给保洁阿姨开一下门锁"]),
    ("water your garden", "给花园浇水", "time",
     ["turn on the sprinklers", "water the cucumbers in the greenhouse", "water the lawn", "water the roses by the fence",
      "water the balcony plants", "water the vegetable patch", "switch off the garden sprinklers",
      "run the drip irrigation for ten minutes"],
     ["给阳台上的绿萝浇浇水", "给院子里的草坪浇水", "给菜地浇水", "给门口的月季浇点水", "给窗台上的多肉浇水", "打开花园的喷灌",
      "把院子里的喷水器关了", "给大棚里的黄瓜浇水"]),
    ("control your kitchen appliances", "控制厨房电器", "time",
     ["boil the kettle", "start the rice cooker", "turn on the slow cooker", "switch the kettle off", "start the bread maker",
      "switch off the hob", "turn on the extractor fan", "set the microwave to defrost"],
     ["把水壶烧上", "把电饭煲打开煮饭", "把慢炖锅打开", "把电水壶关了", "启动面包机", "把燃气灶关了", "把抽油烟机打开",
      "把微波炉调到解冻"]),
    ("make drinks for you", "给你冲泡饮品", "time",
     _expand(["make me «d»", "brew «d» for me"], d=["a cappuccino", "an espresso", "a pot of green tea",
                                                    "a mug of hot chocolate", "a smoothie", "a cup of tea with milk"]),
     _expand(["给我泡«d»", "冲«d»"], d=["一杯奶茶", "一杯绿茶", "一杯热可可", "一杯蜂蜜水", "一杯拿铁", "一壶普洱"])),
    ("control your car", "控制你的汽车", "time",
     ["lock my car", "unlock the car", "open the boot of my car", "turn on the car's heating", "flash the car's headlights",
      "start the engine of my car", "close the car windows", "turn on the seat heating in my car"],
     ["把车锁上", "把车门解锁", "打开后备箱", "打开车里的暖风", "闪一下车灯", "启动车子", "把车窗关上", "打开座椅加热"]),
    ("make bank transfers", "转账", "now",
     _expand(["send «a» to «p»", "transfer «a» to «p»'s account"], a=["50 dollars", "300 euros", "1,000 yuan", "75 pounds"],
             p=["my landlord", "my cousin", "Leo", "the plumber", "my flatmate"]),
     _expand(["给«p»转«a»", "往«p»的卡里打«a»"], p=["房东", "表哥", "小陈", "装修师傅", "室友"],
             a=["300块", "两千元", "88元", "1200块"])),
    ("pay bills", "缴费", "now",
     _expand(["pay my «b»"], b=["water bill", "phone bill", "internet bill", "electricity bill", "credit card bill", "council tax",
                                "parking fine", "school fees"]),
     _expand(["交一下«b»"], b=["水费", "有线电视费", "宽带费", "物业费", "话费", "停车费", "孩子的学费", "暖气费"])
     + ["还一下这个月的信用卡"]),
    ("buy things for you online", "帮你网购", "now",
     _expand(["buy «i» on «s»", "order «i» from «s»"],
             i=["a phone case", "a pack of AA batteries", "new running shoes", "a desk lamp", "a laptop stand", "a yoga mat",
                "replacement headphones", "a birthday present for my niece"],
             s=["Amazon", "eBay", "the online shop I used last time"]),
     _expand(["在«s»上买«i»", "去«s»下单«i»"], s=["淘宝", "京东", "拼多多"],
             i=["一个手机壳", "一箱抽纸", "一双跑鞋", "一盏台灯", "一个笔记本支架", "一块瑜伽垫", "一个充电宝", "给侄女的生日礼物"])),
    ("manage your online orders", "处理你的网购订单", "now",
     _expand(["return «i» I bought last week", "cancel my order for «i»", "ask for a refund on «i»",
              "change the delivery address for «i»"],
             i=["the blue jumper", "the coffee table", "the broken charger", "the shoes", "the kids' scooter"]),
     _expand(["把上周买的«i»退了", "取消«i»那个订单", "申请«i»的退款", "改一下«i»的收货地址"],
             i=["那件蓝毛衣", "茶几", "坏掉的充电器", "那双鞋", "儿童滑板车"])),
    ("buy tickets", "购票", "none",
     _expand(["book «n» tickets for «e»", "get «n» tickets for «e»"], n=["two", "three", "four"],
             e=["the 8 pm film at the cinema", "the museum's late opening", "Sunday's football match",
                "the Friday theatre show", "the zoo", "the science museum"]),
     _expand(["买«n»张«e»的票", "订«n»张«e»的票"], n=["两", "三", "四"],
             e=["今晚电影", "周日球赛", "周五话剧", "科技馆", "动物园", "海洋馆"])),
    ("book trains and flights", "预订车票和机票", "none",
     _expand(["book me a seat on the «w» train to «c»", "book a return flight to «c»"], w=["early", "9 o'clock", "last"],
             c=["Leeds", "Lyon", "Munich", "Boston", "Osaka"]),
     _expand(["订一张«w»去«c»的高铁票", "订一张«w»飞«c»的机票"], w=["明天上午", "周五晚上", "下周一早上"],
             c=["上海", "杭州", "成都", "西安", "广州"])),
    ("book hotels", "预订酒店", "none",
     _expand(["reserve «r» in «c» for «w»"], r=["a double room", "a family room", "a room with a sea view"],
             c=["Rome", "Kyoto", "Barcelona", "Vancouver"], w=["next weekend", "three nights in May", "the conference week"]),
     _expand(["订«w»«c»的«r»"], w=["下周末", "五一假期", "国庆节"], c=["三亚", "青岛", "厦门", "大理"],
             r=["大床房", "双床房", "海景房"])),
    ("book restaurant tables", "预订餐厅", "none",
     _expand(["book a table for «n» at «p» «w»"], n=["two", "four", "six"],
             p=["the Thai place downtown", "the steakhouse near the office", "the dim sum place by the river"],
             w=["tonight", "on Saturday at 8", "for Sunday lunch"]),
     _expand(["在«p»订«w»«n»个人的位子"], p=["火锅店", "楼下那家粤菜馆", "那家烤肉店"], w=["今晚", "周六晚上", "周日中午"],
             n=["两", "四", "六"])),
    ("rent a car for you", "租车", "now",
     _expand(["rent «c» for «w»"], c=["a small car", "an SUV", "a seven-seater", "an electric car"],
             w=["the weekend", "next week", "our trip to the coast"]),
     _expand(["租一辆«c»«w»用"], c=["小轿车", "SUV", "七座商务车", "电动车"], w=["周末", "下周", "自驾游"])),
    ("send messages", "发送消息", "none",
     _expand(["text «p» that «m»", "message «p» on WhatsApp to say «m»"],
             p=["my wife", "my boss", "Jake", "the babysitter", "my landlord"],
             m=["I'm stuck in traffic", "the meeting moved to 3", "I'll bring the snacks", "the parcel has arrived"]),
     _expand(["给«p»发条微信，说«m»", "发消息告诉«p»«m»"], p=["老婆", "领导", "小刘", "保姆", "房东"],
             m=["我堵在路上了", "会议改到三点了", "零食我来带", "快递已经到了"])),
    ("post to social media", "发布社交动态", "now",
     _expand(["post «x» on «pl»"], x=["this photo", "a happy birthday message for my sister", "my race result",
                                      "a picture of my new bike", "our holiday video"],
             pl=["Facebook", "Instagram", "X", "my Instagram story"]),
     _expand(["把«x»发到«pl»"], x=["这张照片", "这段视频", "我的跑步记录", "新买的自行车的照片", "旅行视频"],
             pl=["朋友圈", "微博", "抖音", "小红书"])),
    ("interact on social media for you", "替你在社交平台上互动", "now",
     ["like my friend's latest post", "reply to the comments on my last post", "accept the friend request from Nina",
      "follow my cousin on Instagram", "share my sister's post on Facebook", "unfollow the cooking account I follow",
      "leave a comment on my colleague's post", "block that spam account"],
     ["给朋友最新的朋友圈点个赞", "回复我上条微博下面的评论", "通过小林的好友申请", "在抖音上关注我表妹", "转发我姐的那条动态",
      "取关那个美食博主", "在同事的朋友圈下面评论一句", "把那个骚扰账号拉黑"]),
    ("make phone calls", "打电话", "time",
     _expand(["call «p»", "ring «p»"], p=["my grandmother", "my brother", "the landlord", "Maya", "the plumber",
                                          "the school office", "my old football coach"]),
     _expand(["给«p»打个电话"], p=["奶奶", "我弟", "房东", "小美", "水管师傅", "孩子的班主任", "物业"])),
    ("start video calls", "发起视频通话", "time",
     _expand(["start a video call with «p»", "video-call «p»"],
             p=["my parents", "the team", "Grandpa", "my sister in Canada", "my study group"]),
     _expand(["跟«p»开个视频通话", "给«p»打个视频"], p=["我爸妈", "项目组", "爷爷", "在加拿大的姐姐", "学习小组"])),
    ("edit your calendar", "修改日历", "none",
     _expand(["add «e» to my calendar for «d»", "delete «e» from my calendar", "move «e» in my calendar to «d»"],
             e=["lunch with Ben", "my sister's birthday party", "the team offsite", "the parents' evening",
                "a check-up at the clinic"], d=["Monday", "next Thursday", "the 14th", "tomorrow at noon"]),
     _expand(["在我的日历上加上«d»的«e»", "把日历里的«e»删掉", "把日历上的«e»改到«d»"],
             d=["周一", "下周四", "14号", "明天中午"], e=["和老周吃午饭", "妹妹的生日聚会", "团建活动", "家长会", "体检"])),
    ("set alarms", "设置闹钟", "none",
     _expand(["set an alarm for «w»"], w=["5:40 am", "7 tomorrow", "noon", "6:15 on weekdays", "half past eight", "9 pm"])
     + ["snooze my alarm for ten minutes", "turn off all my alarms for the weekend", "change my morning alarm to 6:30"],
     _expand(["定一个«w»的闹钟"], w=["明早五点四十", "工作日早上六点一刻", "下午一点", "八点半", "晚上九点"])
     + ["把闹钟往后推十分钟", "把周末的闹钟都关掉", "把早上的闹钟改成六点半"]),
    ("control your smart home devices", "控制智能家居设备", "time",
     _expand(["«v» «o»"], v=["turn on", "switch off"],
             o=["the ceiling fan in the study", "the air purifier", "the humidifier", "the electric blanket",
                "the Christmas tree lights", "the smart plug by the TV", "the towel warmer", "the fish tank light"]),
     _expand(["把«o»«v»"], o=["书房的吊扇", "空气净化器", "加湿器", "电热毯", "圣诞树的彩灯", "电视旁边的智能插座",
                              "浴室的毛巾架加热", "鱼缸的灯"], v=["打开", "关掉"])),
    ("manage files on your computer", "管理你电脑上的文件", "now",
     _expand(["delete «f» on my laptop", "move «f» to the «d» folder on my computer", "rename «f» on my desktop"],
             f=["the old screenshots", "last month's downloads", "my holiday videos", "the duplicate photos"],
             d=["Archive", "Work", "Photos"]),
     _expand(["把我电脑上的«f»删了", "把我电脑里的«f»挪到«d»文件夹", "把桌面上的«f»重新命名一下"],
             f=["旧截图", "上个月下载的东西", "度假视频", "重复的照片"], d=["归档", "工作", "照片"])),
    ("update your devices", "更新你的设备", "time",
     _expand(["update «d» to the latest software"], d=["my phone", "my tablet", "my smartwatch", "the router",
                                                       "my laptop", "the smart TV"])
     + ["install the pending updates on my PC", "restart my laptop to finish the update"],
     _expand(["把«d»的系统升级到最新版"], d=["我的手机", "平板", "智能手表", "路由器", "笔记本电脑", "智能电视"])
     + ["给我电脑装上待更新的补丁", "重启电脑完成更新"]),
    ("change your router settings", "修改路由器设置", "time",
     ["restart the router", "kick my neighbour's laptop off my Wi-Fi", "turn on the guest Wi-Fi",
      "turn off the Wi-Fi for the kids' tablets", "block the games console from the internet",
      "give my laptop priority on the Wi-Fi", "switch the router to the 5 GHz band"],
     ["把路由器重启一下", "把邻居的笔记本踢出我家 Wi-Fi", "打开访客 Wi-Fi", "把孩子平板的网断了", "禁止游戏机联网",
      "给我的电脑设置网速优先", "把路由器切到 5G 频段"]),
    ("manage your accounts", "管理你的账号", "now",
     _expand(["reset my «s» password", "delete my «s» account", "log me out of «s» on all devices",
              "change the phone number on my «s» account"],
             s=["Netflix", "Spotify", "Dropbox", "Steam", "Airbnb", "LinkedIn"]),
     _expand(["重置«s»的密码", "把我的«s»账号注销掉", "让«s»在所有设备上退出登录", "改一下«s»账号绑定的手机号"],
             s=["淘宝", "支付宝", "微博", "B站", "爱奇艺", "12306"])),
    ("cancel subscriptions", "取消订阅", "now",
     _expand(["cancel my «s» subscription", "turn off auto-renew for «s»", "downgrade my «s» plan"],
             s=["Hulu", "Spotify", "Disney+", "cloud storage", "newspaper", "language app"]),
     _expand(["取消«s»的自动续费", "把«s»会员退订了"], s=["爱奇艺", "腾讯视频", "网易云音乐", "百度网盘", "QQ音乐", "优酷"])),
    ("use a printer or scanner", "使用打印机或扫描仪", "now",
     _expand(["print «d»", "scan «d» and save it as a PDF"],
             d=["my train tickets", "the concert tickets", "this recipe", "two copies of my CV",
                "the school permission form", "the lease contract"]),
     _expand(["把«d»打印出来", "把«d»扫描成 PDF"], d=["火车票", "演出门票", "这份菜谱", "两份简历", "孩子的报名表", "租房合同"])),
    ("send and collect parcels", "寄取快递", "time",
     ["schedule a courier pickup for my parcel", "post this letter to my aunt", "collect my parcel from the post office",
      "send this package to my brother in Leeds", "drop off the return parcel at the locker",
      "pick up my parcel from the neighbour"],
     ["约个快递上门取件", "把这封信寄给我姑姑", "去驿站取一下我的快递", "把这个包裹寄给在成都的弟弟", "把退货的包裹放到快递柜",
      "去邻居家把我的快递拿回来"]),
    ("do chores for you", "替你做家务", "time",
     ["fold the laundry", "iron my white shirt", "take out the recycling", "wash the car", "mow the lawn",
      "clean the bathroom", "tidy up my desk", "hang the washing out to dry", "make the bed", "vacuum the stairs",
      "wash the dishes", "change the light bulb in the hall"],
     ["把衣服叠好", "把我那件白衬衫熨一下", "把可回收垃圾拿下去", "把车洗了", "把草坪修剪一下", "打扫一下卫生间",
      "把书桌收拾干净", "把洗好的衣服晾起来", "把床铺好", "把楼梯吸一遍", "把碗洗了", "把走廊的灯泡换了"]),
    ("run errands for you", "替你跑腿", "time",
     ["pick up my kids from school", "collect my repaired watch", "drop my mum at the station",
      "get my prescription from the pharmacy", "queue at the bank for me", "return the rented tools to the hardware store",
      "collect the keys from the estate agent", "take my shoes to the cobbler"],
     ["去学校接孩子放学", "去钟表店取修好的手表", "送我妈去火车站", "去药店取药", "去银行替我排队", "把租的工具还给五金店",
      "去中介那儿拿钥匙", "把我的鞋送去修"]),
    ("control your game console", "控制游戏机", "time",
     ["turn on the PlayStation", "download the new racing game on my Xbox", "update the games on my Switch",
      "turn off the console in the kids' room", "start a match on my console", "set up parental controls on the PlayStation"],
     ["打开游戏机", "在 Switch 上把新出的赛车游戏下载好", "把 PS5 上的游戏都更新一下", "把孩子房间的游戏机关了",
      "在 Xbox 上开一局", "给游戏机设置家长控制"]),
    ("trade stocks or funds", "买卖股票和基金", "now",
     ["buy ten shares of Apple", "buy 50 shares of Tesla", "sell my Microsoft shares", "put 500 dollars into an index fund",
      "sell half of my fund holdings", "buy 100 shares of Nvidia", "move my savings into a bond fund",
      "set a stop-loss on my Tesla shares"],
     ["买入100股贵州茅台", "把我的招商银行股票卖了", "定投一千块沪深300基金", "把基金赎回一半", "买200股宁德时代",
      "给我的股票设个止损", "把余额宝的钱转到银行卡", "把手里的科技基金全部卖掉"]),
    ("control your browser", "操作你的浏览器", "now",
     ["close all the tabs in my browser", "clear my browser history", "bookmark the page I have open",
      "open a new incognito window", "reopen the tab I just closed", "turn on the ad blocker in my browser",
      "set my browser's home page to the news site", "log into my cloud drive in my browser"],
     ["把我浏览器的标签页全关掉", "清除我的浏览器历史记录", "把我现在打开的网页加到收藏夹", "打开一个无痕窗口",
      "恢复我刚关掉的标签页", "打开浏览器的广告拦截", "把浏览器主页设成新闻网站", "在浏览器里登录我的网盘"]),
    ("change your computer's settings", "修改电脑设置", "time",
     ["turn up the screen brightness on my laptop", "switch my laptop to dark mode",
      "change my desktop wallpaper to a beach photo", "put my computer to sleep", "lock my computer screen",
      "turn on night mode on my monitor", "connect my laptop to the projector", "change the language of my computer to French"],
     ["把电脑屏幕调亮一点", "把电脑切换成深色模式", "把桌面壁纸换成海边的照片", "让电脑进入睡眠", "把电脑锁屏",
      "打开显示器的护眼模式", "把笔记本连上投影仪", "把电脑系统语言改成英文"]),
    ("edit your contacts", "编辑通讯录", "now",
     _expand(["save «p»'s number in my contacts", "delete «p» from my contacts", "update «p»'s address in my contacts"],
             p=["Anna", "the plumber", "my new neighbour", "Dr Lee", "the babysitter"]),
     _expand(["把«p»的电话存到通讯录里", "把«p»从通讯录里删掉", "更新一下通讯录里«p»的地址"],
             p=["安娜", "水管师傅", "新邻居", "李医生", "保姆"])),
    ("record your screen", "录屏", "none",
     ["record my screen for the next five minutes", "start a screen recording of this game",
      "record my screen while I show the slides", "stop the screen recording", "record the video call on my screen"],
     ["把我的屏幕录五分钟", "开始录这局游戏的屏", "在我演示幻灯片的时候录屏", "停止录屏", "把这次视频通话录下来"]),
]
UNSERVED_ACTIONS = {"en": [d[0] for d in _DOMAINS], "zh": [d[1] for d in _DOMAINS]}
"""Every action phrase the composed UNSERVED bank uses, per language."""


def _unserved(language: str) -> list[tuple[str, str]]:
    out = []
    for index, (action_en, action_zh, timing, en_vps, zh_vps) in enumerate(_DOMAINS):
        en_when, zh_when = _WHEN[timing]
        if language == "en":
            requests = [_fill(frame, V=_cap(vp), v=vp, t=when) for frame, vp, when in product(_EN_FRAMES, en_vps, en_when)]
            action = action_en
        else:
            requests = [_fill(frame, vp=vp, t=when) for frame, vp, when in product(_ZH_FRAMES, zh_vps, zh_when)]
            action = action_zh
        requests = _take(_unique(requests), 60, f"unserved-{language}-{index}")
        out += [(request, action) for request in requests]
    return out


# ---- the guard: no held-out wording or entity --------------------------------------------------
def _slot_pattern(template: str) -> str:
    """The regex a request template matches, whole (a slot: any text), as tests/test_tool_scenarios.py builds it."""
    return "(?:" + ".+".join(map(re.escape, re.split(r"\{[^{}]*\}", template))) + ")"


def _module_templates(module, legacy_only: bool) -> set[str]:
    from tools.scenarios.generate import in_split

    templates: set[str] = set()
    for name in REQUEST_BANKS:
        for entries in (getattr(module, name, None) or {}).values():
            chosen = in_split(list(entries), "legacy") if legacy_only else entries
            templates |= {request_of(entry) for entry in chosen}
    return templates


def _module_entities(module, legacy_only: bool) -> set[str]:
    from tools.scenarios.generate import in_split

    def pick(entries) -> list:
        return in_split(list(entries), "legacy") if legacy_only else list(entries)

    found = {fact.topic for facts in (getattr(module, "WEB_FACTS", None) or {}).values() for fact in pick(facts)}
    found |= {note.project for notes in (getattr(module, "NOTES", None) or {}).values() for note in pick(notes)}
    found |= {page.url for pages in (getattr(module, "PAGES", None) or {}).values() for page in pick(pages)}
    found |= set(pick(getattr(module, "PYTHON_WORDS", None) or []))
    return {entity.lower() for entity in found}


def held_out_templates() -> set[str]:
    """Request templates of the held-out phrasings: val, test, and the legacy quarter of phrasings.py."""
    from tools.scenarios import phrasings as P
    from tools.scenarios import test_phrasings as X
    from tools.scenarios import val_phrasings as V

    return _module_templates(P, True) | _module_templates(V, False) | _module_templates(X, False)


def held_out_entities() -> set[str]:
    """Entities (lower case) of the held-out phrasings: web topics, note projects, page URLs, Python words."""
    from tools.scenarios import phrasings as P
    from tools.scenarios import test_phrasings as X
    from tools.scenarios import val_phrasings as V

    return _module_entities(P, True) | _module_entities(V, False) | _module_entities(X, False)


def training_templates() -> set[str]:
    """Request templates the training split already has (phrasings.py's training share, train_phrasings.py)."""
    from tools.scenarios import phrasings as P
    from tools.scenarios import train_phrasings as T
    from tools.scenarios.generate import in_split

    templates = {request_of(entry) for name in REQUEST_BANKS
                 for entries in (getattr(P, name, None) or {}).values() for entry in in_split(list(entries), "train")}
    return templates | _module_templates(T, False)


_EN_STOP = {"a", "an", "the", "my", "me", "i", "you", "your", "to", "for", "of", "in", "at", "and", "or", "is", "it",
            "this", "that", "please", "can", "could", "would", "with", "from", "so", "be", "am", "are", "do", "some", "all",
            "what", "what's", "how", "is", "for", "me"}
_ZH_FILLER = ("帮我", "麻烦你", "能不能", "请你", "一下", "吧", "我", "的", "了", "把", "你")
NEAR_COPY = 0.75
"""A composed request holding this share of a held-out request's content words (English) or character pairs
(Chinese) is a near copy of it, whatever the wording around them."""


def content_units(text: str) -> frozenset[str]:
    """Content words of an English request; character pairs (and Latin words) of a Chinese one; slots and
    filler left out."""
    text = re.sub(r"\{[^{}]*\}", " ", text)
    words = {w for w in re.findall(r"[a-z0-9][a-z0-9']*", text.lower()) if w not in _EN_STOP}
    if not _is_chinese(text):
        return frozenset(words)
    units = set(words)
    for run in re.findall(r"[\u4e00-\u9fff]+", text):
        for filler in _ZH_FILLER:
            run = run.replace(filler, " ")
        for part in run.split():
            units |= {part[i:i + 2] for i in range(len(part) - 1)}
    return frozenset(units)


def _is_chinese(text: str) -> bool:
    return bool(re.search(r"[\u4e00-\u9fff]", text))


class NearCopies:
    """Finds, fast, the held-out requests of which a text is a near copy (`NEAR_COPY`)."""

    def __init__(self, requests: set[str]) -> None:
        self.units = [(request, content_units(request)) for request in sorted(requests)]
        # too short to tell a copy from a shared phrase: 3 English words, 5 Chinese character pairs
        self.units = [(request, units) for request, units in self.units if len(units) >= (5 if _is_chinese(request) else 3)]
        self.index: dict[str, list[int]] = {}
        for i, (_, units) in enumerate(self.units):
            for unit in units:
                self.index.setdefault(unit, []).append(i)

    def of(self, text: str) -> list[str]:
        counts: dict[int, int] = {}
        for unit in content_units(text):
            for i in self.index.get(unit, ()):
                counts[i] = counts.get(i, 0) + 1
        return [self.units[i][0] for i, n in counts.items() if n / len(self.units[i][1]) >= NEAR_COPY]


class _Guard:
    """Drops composed entries that a held-out template could have made, that make a held-out request, that are
    near copies of a held-out request, or that mention a held-out entity; and entries the training banks hold."""

    def __init__(self) -> None:
        held = held_out_templates()
        self.near = NearCopies(held)
        self.literal = {t for t in held if "{" not in t}
        slotted = sorted(t for t in held if "{" in t)
        self.slotted = re.compile("|".join(_slot_pattern(t) for t in slotted), re.DOTALL) if slotted else None
        self.held = held
        self.known = training_templates()
        entities = sorted(held_out_entities())
        ascii_ = [re.escape(e) for e in entities if e.isascii()]
        other = [re.escape(e) for e in entities if not e.isascii()]
        parts = ([rf"(?<![a-z0-9])(?:{'|'.join(ascii_)})(?![a-z0-9])"] if ascii_ else []) + ([f"(?:{'|'.join(other)})"] if other else [])
        self.entity = re.compile("|".join(parts)) if parts else None

    def _held_wording(self, text: str) -> bool:
        return text in self.literal or bool(self.slotted and self.slotted.fullmatch(text))

    def keep(self, entries: list, texts) -> list:
        kept = []
        mine = [request_of(entry) for entry in entries]
        # a composed template that could make a held-out request (slots of mine match held-out text)
        reverse = {request for request in mine if "{" in request
                   and any(re.fullmatch(_slot_pattern(request), h, re.DOTALL) for h in self._held_near(request))}
        for entry, request in zip(entries, mine):
            if request in self.known or request in reverse or self._held_wording(request) or self.near.of(request):
                continue
            if any(self._held_wording(sample) for sample in _samples(entry)):
                continue
            if self.entity and any(self.entity.search(text.lower()) for text in texts(entry)):
                continue
            kept.append(entry)
        return kept

    def _held_near(self, request: str) -> list[str]:
        """Held-out templates that could be matched by `request`'s pattern: those sharing its fixed start and end."""
        pieces = re.split(r"\{[^{}]*\}", request)
        return [h for h in self.held if h.startswith(pieces[0]) and h.endswith(pieces[-1])]


def _samples(entry: Any) -> list[str]:
    """The request filled with representative slot values (what the generator will produce)."""
    if isinstance(entry, CalcPhrasing):
        low = {name: low for name, (low, _) in entry.slots.items()}
        high = {name: high for name, (_, high) in entry.slots.items()}
        return [entry.request.format(**low), entry.request.format(**high)]
    if isinstance(entry, PythonPhrasing):
        return [entry.request.format(word="word", n=7, prime=97, nums="3, 1, 2", year=2001, month=2, day=3)]
    if isinstance(entry, str):
        return [entry.format(topic="X", project="X", attribute="X", url="https://x.example/y")]
    return []


def _texts(entry: Any) -> list[str]:
    """All the text of an entry that reaches a conversation (for the entity check)."""
    if isinstance(entry, CalcPhrasing):
        return [entry.request, entry.answer]
    if isinstance(entry, PythonPhrasing):
        return [entry.request, entry.answer, entry.code]
    if isinstance(entry, str):
        return [entry]
    return list(entry)


_BUILDERS = {
    "CALCULATOR": {"en": _calc_en, "zh": _calc_zh},
    "PYTHON": {"en": lambda: _python("en"), "zh": lambda: _python("zh")},
    "WEB_REQUESTS": {"en": lambda: _web("en"), "zh": lambda: _web("zh")},
    "NOTE_REQUESTS": {"en": lambda: _notes("en"), "zh": lambda: _notes("zh")},
    "PAGE_REQUESTS": {"en": lambda: _pages("en"), "zh": lambda: _pages("zh")},
    "CHAT": {"en": _chat_en, "zh": _chat_zh},
    "UNSERVED": {"en": lambda: _unserved("en"), "zh": lambda: _unserved("zh")},
}


@lru_cache(maxsize=1)
def _guard() -> _Guard:
    return _Guard()


@lru_cache(maxsize=None)
def _bank(name: str, language: str) -> tuple:
    entries = _unique(_BUILDERS[name][language](), key=request_of)
    return tuple(_guard().keep(entries, _texts))


def sizes() -> dict[str, dict[str, int]]:
    """Entries per composed bank and language."""
    return {name: {language: len(_bank(name, language)) for language in LANGUAGES} for name in COMPOSED_BANKS}
