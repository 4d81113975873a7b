"""Multi-step tool-use conversations: find a number with one tool, compute with it in the next turn.

Each conversation chains two of Lingxi's tools across turns:

    user -> assistant (call 1) -> tool -> assistant (calculator, on the number call 1 found) -> tool -> answer

- `knowledge_base` -> calculator: the user's notes hold a figure (a budget, a head count, a
  price, a distance) and the user asks for arithmetic on it;
- `web_search` -> calculator: a public figure (a height, a length, a year, a population), then a
  computation on it ("in feet", "how many years before 2028", "double it");
- `fetch_url` -> calculator: a page quoting a figure, then arithmetic on it.

The first observation is canned but rendered by the functions the tools use (`format_passage`,
`format_results`, `ExternalContent`, as tools/scenarios/generate.py does); the calculator's is the
real calculator's, through `Observer`, and the answer quotes its result as the tool returned it.
The figures, projects, topics, pages and wordings are this module's own small tables, training
only: none of them is a wording or entity of the held-out splits (val_phrasings.py,
test_phrasings.py, the legacy quarter of phrasings.py); tests/test_multistep_builder.py checks it.
English and Chinese alternate; deterministic for (count, seed).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from itertools import product
from typing import Any, Literal

from tools.base import ExternalContent, render_observation
from tools.knowledge_base import format_passage
from tools.scenarios import TOOL_NAMES, Observer, tool_schemas
from tools.scenarios.generate import OBSERVATION_CHARS, calculator_result, quoted_value
from tools.web_search import format_results
from training.conversation import Conversation
from training.converters import Converted

Language = Literal["en", "zh"]
CHAINS = ("knowledge_base", "web_search", "fetch_url")
"""The first tool of each chain; the second is always the calculator."""


# ---- the figures -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    """A number the first tool finds. `number` is written as the text writes it ("48,000"); `kind`
    picks the computations that make sense on it (`OPS`)."""

    name: str
    """The note's project, the web topic, or the page's URL."""
    label: str
    """What the number is: the note's attribute, the page's subject; for the web, the sentence
    the answer cites, with the number in it."""
    number: str
    unit: str
    kind: str
    text: str
    """The passage, search snippet or page text that holds the number."""
    where: str
    """The note's document, the search result's URL, or the page's title."""
    title: str = ""
    """The search result's title (web only)."""

    @property
    def operand(self) -> str:
        return self.number.replace(",", "")

    def amount(self, language: Language) -> str:
        return f"{self.number}{'' if language == 'zh' or not self.unit else ' '}{self.unit}"


def _figures(rows: list[tuple]) -> list[Figure]:
    return [Figure(*row) for row in rows]


NOTES: dict[Language, list[Figure]] = {
    "en": _figures([
        ("Bluebell", "Q3 budget", "48,000", "dollars", "money",
         "Bluebell's Q3 budget is 48,000 dollars; most of it goes to contractors.", "bluebell-budget.md"),
        ("Heron", "head count", "36", "people", "count",
         "Project Heron has a head count of 36 people across design and engineering.", "heron-team.md"),
        ("Orion", "licence price", "240", "dollars", "price",
         "An Orion licence costs 240 dollars per seat per year.", "orion-pricing.md"),
        ("Pebble", "distance to the warehouse", "38", "km", "km",
         "The Pebble warehouse is 38 km from the main office by road.", "pebble-logistics.md"),
        ("Tulip", "marketing budget", "15,500", "euros", "money",
         "Tulip's marketing budget for the spring campaign is 15,500 euros.", "tulip-budget.md"),
        ("Birch", "guest count", "180", "guests", "count",
         "We expect 180 guests at the Birch launch event.", "birch-event.md"),
        ("Comet", "price per sensor", "65", "dollars", "price",
         "Each Comet sensor costs 65 dollars from the current supplier.", "comet-hardware.md"),
        ("Acorn", "drive to the test site", "126", "km", "km",
         "The Acorn test site is a 126 km drive from the lab.", "acorn-travel.md"),
        ("Magpie", "annual budget", "250,000", "dollars", "money",
         "Magpie's annual budget is 250,000 dollars, reviewed every quarter.", "magpie-finance.md"),
        ("Ivy", "print run", "2,400", "copies", "count", "The first Ivy print run is 2,400 copies.", "ivy-print.md"),
        ("Thistle", "office rent", "3,200", "dollars", "monthly",
         "Thistle's office rent is 3,200 dollars a month, paid on the first.", "thistle-office.md"),
        ("Beacon", "number of field devices", "1,450", "devices", "count",
         "Beacon currently has 1,450 field devices deployed.", "beacon-ops.md"),
    ]),
    "zh": _figures([
        ("北辰", "第三季度预算", "48000", "元", "money", "北辰项目第三季度的预算是48000元，主要用于外包。", "北辰预算.md"),
        ("青禾", "团队人数", "24", "人", "count", "青禾项目团队目前共有24人。", "青禾团队.md"),
        ("白桦", "设备单价", "3500", "元", "price", "白桦项目采购的设备单价为3500元一台。", "白桦采购.md"),
        ("启明", "到工厂的距离", "85", "公里", "km", "启明项目的合作工厂距离公司85公里。", "启明出差.md"),
        ("长风", "推广预算", "120000", "元", "money", "长风项目今年的推广预算为120000元。", "长风市场.md"),
        ("山茶", "报名人数", "360", "人", "count", "山茶活动的报名人数已经达到360人。", "山茶活动.md"),
        ("翠竹", "每套物料的价格", "86", "元", "price", "翠竹项目每套宣传物料的价格是86元。", "翠竹物料.md"),
        ("玉兰", "运输距离", "460", "公里", "km", "玉兰项目的货物运输距离为460公里。", "玉兰运输.md"),
        ("锦鲤", "年度预算", "300000", "元", "money", "锦鲤项目的年度预算为300000元，每季度复核一次。", "锦鲤财务.md"),
        ("朝露", "首印数量", "5000", "册", "count", "朝露手册的首印数量是5000册。", "朝露印刷.md"),
        ("北斗", "办公室月租", "6800", "元", "monthly", "北斗项目办公室的租金是每月6800元。", "北斗行政.md"),
        ("石榴", "服务器台数", "64", "台", "count", "石榴项目目前在用的服务器共有64台。", "石榴运维.md"),
    ]),
}

WEB_FACTS: dict[Language, list[Figure]] = {
    "en": _figures([
        ("the height of the CN Tower", "the CN Tower is 553.3 metres tall", "553.3", "metres", "metres",
         "The CN Tower in Toronto is 553.3 metres tall, the landmark of the city's skyline.",
         "https://en.wikipedia.org/wiki/CN_Tower", "CN Tower - Wikipedia"),
        ("the year the Sydney Opera House opened", "the Sydney Opera House opened in 1973", "1973", "", "year",
         "The Sydney Opera House was formally opened in October 1973.",
         "https://www.britannica.com/topic/Sydney-Opera-House", "Sydney Opera House | Britannica"),
        ("the length of the Channel Tunnel", "the Channel Tunnel is 50.45 km long", "50.45", "km", "km",
         "The Channel Tunnel links Folkestone and Coquelles and is 50.45 km long.",
         "https://en.wikipedia.org/wiki/Channel_Tunnel", "Channel Tunnel - Wikipedia"),
        ("the speed of sound in air", "sound travels at 343 metres per second in air at room temperature",
         "343", "m/s", "speed", "In dry air at room temperature, sound travels at about 343 metres per second.",
         "https://www.britannica.com/science/sound-physics", "Sound: speed of sound | Britannica"),
        ("the year Wikipedia was launched", "Wikipedia was launched in 2001", "2001", "", "year",
         "Wikipedia was launched on 15 January 2001 by Jimmy Wales and Larry Sanger.",
         "https://en.wikipedia.org/wiki/History_of_Wikipedia", "History of Wikipedia - Wikipedia"),
        ("the height of the Elizabeth Tower in London", "the Elizabeth Tower is 96 metres tall", "96", "metres", "metres",
         "The Elizabeth Tower, home of the bell known as Big Ben, is 96 metres tall.",
         "https://www.parliament.uk/bigben", "Big Ben and the Elizabeth Tower - UK Parliament"),
        ("the length of the Trans-Siberian Railway", "the Trans-Siberian Railway is 9,289 km long", "9,289", "km", "km",
         "The Trans-Siberian Railway runs 9,289 km from Moscow to Vladivostok.",
         "https://en.wikipedia.org/wiki/Trans-Siberian_Railway", "Trans-Siberian Railway - Wikipedia"),
        ("the year the Golden Gate Bridge opened", "the Golden Gate Bridge opened in 1937", "1937", "", "year",
         "The Golden Gate Bridge opened to traffic in May 1937.", "https://www.goldengate.org/bridge/history", "Golden Gate Bridge history"),
        ("the population of Iceland", "about 390,000 people live in Iceland", "390,000", "people", "population",
         "Iceland has a population of about 390,000 people, most of them in the capital region.",
         "https://www.statice.is/population", "Population - Statistics Iceland"),
        ("the length of the Seikan Tunnel", "the Seikan Tunnel is 53.85 km long", "53.85", "km", "km",
         "The Seikan Tunnel joins Honshu and Hokkaido under the Tsugaru Strait and is 53.85 km long.",
         "https://www.britannica.com/topic/Seikan-Tunnel", "Seikan Tunnel | Britannica"),
        ("the height of the Statue of Liberty", "the Statue of Liberty is 93 metres tall from the ground to the torch",
         "93", "metres", "metres", "From the ground to the tip of its torch, the Statue of Liberty is 93 metres tall.",
         "https://www.nps.gov/stli/facts.htm", "Statue of Liberty facts - National Park Service"),
    ]),
    "zh": _figures([
        ("东方明珠塔的高度", "东方明珠塔高468米", "468", "米", "metres",
         "东方明珠广播电视塔位于上海浦东陆家嘴，塔高468米。", "https://baike.example.cn/dongfangmingzhu", "东方明珠广播电视塔 - 百科"),
        ("上海中心大厦的高度", "上海中心大厦高632米", "632", "米", "metres",
         "上海中心大厦建筑总高度为632米，是中国第一高楼。", "https://baike.example.cn/shanghaizhongxin", "上海中心大厦 - 百科"),
        ("北京故宫建成的年份", "北京故宫建成于1420年", "1420", "年", "year",
         "北京故宫于明代永乐年间动工，1420年建成。", "https://baike.example.cn/gugong", "北京故宫 - 百科"),
        ("杭州湾跨海大桥的长度", "杭州湾跨海大桥全长36公里", "36", "公里", "km",
         "杭州湾跨海大桥北起嘉兴、南至宁波，全长36公里。", "https://baike.example.cn/hangzhouwan", "杭州湾跨海大桥 - 百科"),
        ("京沪高铁的全长", "京沪高铁全长1318公里", "1318", "公里", "km",
         "京沪高速铁路北起北京南站，南至上海虹桥站，全长1318公里。", "https://baike.example.cn/jinghu", "京沪高速铁路 - 百科"),
        ("南京长江大桥通车的年份", "南京长江大桥于1968年全面通车", "1968", "年", "year",
         "南京长江大桥是中国自行设计建造的双层铁路公路两用桥，1968年全面通车。", "https://baike.example.cn/nanjingdaqiao", "南京长江大桥 - 百科"),
        ("泰山的海拔", "泰山主峰海拔1545米", "1545", "米", "metres",
         "泰山主峰玉皇顶海拔1545米，是五岳之首。", "https://baike.example.cn/taishan", "泰山 - 百科"),
        ("澳门的人口", "澳门常住人口约68.3万人", "68.3", "万人", "population",
         "据统计，澳门常住人口约68.3万人，是人口密度很高的地区之一。", "https://baike.example.cn/aomen", "澳门人口 - 百科"),
        ("声音在空气中的传播速度", "声音在常温空气中每秒传播约340米", "340", "米每秒", "speed",
         "在常温下，声音在空气中的传播速度约为每秒340米。", "https://baike.example.cn/shengsu", "声速 - 百科"),
        ("北京奥运会举办的年份", "北京奥运会于2008年举办", "2008", "年", "year",
         "第29届夏季奥林匹克运动会于2008年8月在北京举办。", "https://baike.example.cn/beijingaoyun", "2008年北京奥运会 - 百科"),
    ]),
}

PAGES: dict[Language, list[Figure]] = {
    "en": _figures([
        ("https://example.info/news/ferry-fares", "the single ticket price", "7.40", "euros", "price",
         "A single ferry ticket to the island now costs 7.40 euros, up from last year's fare.", "Ferry fares rise"),
        ("https://example.info/shop/desk-lamp", "the price of the desk lamp", "36", "dollars", "price",
         "This week the adjustable desk lamp sells for 36 dollars.", "Desk lamp sale"),
        ("https://example.info/reports/cinema-tickets", "the number of tickets sold in June", "18,450", "tickets",
         "count", "The town cinema sold 18,450 tickets in June, its best month so far.", "June at the cinema"),
        ("https://example.info/trails/ridge-walk", "the length of the trail", "14.5", "km", "trail",
         "The ridge walk is a 14.5 km loop with two steep climbs.", "The ridge walk"),
        ("https://example.info/history/old-mill", "the year the mill was built", "1847", "", "year",
         "The stone mill by the river was built in 1847 and restored a century later.", "The old mill"),
        ("https://example.info/city/clock-tower", "the height of the clock tower", "42", "metres", "metres",
         "The town clock tower stands 42 metres high above the market square.", "Our clock tower"),
        ("https://example.info/grants/arts-fund", "the size of the arts fund", "75,000", "pounds", "money",
         "The council's new arts fund holds 75,000 pounds for local projects.", "Arts fund opens"),
        ("https://example.info/transit/night-bus", "the length of the night bus route", "23", "km", "km",
         "The new night bus route runs 23 km from the station to the airport.", "New night bus"),
    ]),
    "zh": _figures([
        ("https://example.info/cn/tingche", "每月的停车费", "320", "元", "monthly",
         "从下月起，小区地面车位的停车费调整为每月320元。", "小区停车费调整"),
        ("https://example.info/cn/tushuguan", "新馆的藏书量", "86000", "册", "count",
         "市图书馆新馆正式开放，目前藏书86000册。", "图书馆新馆开放"),
        ("https://example.info/cn/lvdao", "绿道的长度", "27.6", "公里", "trail",
         "环湖绿道全线贯通，全长27.6公里。", "城市绿道建成"),
        ("https://example.info/cn/muta", "木塔的建成年份", "1056", "年", "year",
         "这座木塔建于1056年，是现存最古老的木塔之一。", "古塔修缮完成"),
        ("https://example.info/cn/shitang", "午餐的价格", "18", "元", "price",
         "社区食堂今天开业，工作日午餐每份18元。", "社区食堂开业"),
        ("https://example.info/cn/xinlou", "新楼的高度", "156", "米", "metres",
         "新办公楼今天封顶，建筑高度156米。", "新办公楼封顶"),
        ("https://example.info/cn/butie", "补贴总额", "200000", "元", "money",
         "今年的创业补贴总额为200000元，面向首次创业者。", "创业补贴发放"),
        ("https://example.info/cn/banche", "班车的单程距离", "32", "公里", "km",
         "新开通的通勤班车单程32公里，早晚各两班。", "通勤班车开通"),
    ]),
}
FIGURES = {"knowledge_base": NOTES, "web_search": WEB_FACTS, "fetch_url": PAGES}


# ---- the computations ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Op:
    """Arithmetic on the figure `{x}`: how the user asks for it, the calculator expression, and the
    answer's sentence (`{value}` is the calculator's result; slots are random integers)."""

    ask: str
    expression: str
    answer: str
    slots: dict[str, tuple[int, int]] = field(default_factory=dict)


P_SMALL, P_LARGE, MONTHS, YEAR = {"p": (3, 25)}, {"p": (10, 80)}, {"n": (2, 12)}, {"y": (2024, 2030)}
OPS: dict[str, dict[Language, list[Op]]] = {
    "money": {
        "en": [Op("what is {p}% of it?", "{p}/100 * {x}", "{p}% of it is {value} {unit}.", {"p": (5, 40)}),
               Op("how much is that a month over {n} months?", "{x} / {n}", "Over {n} months that is {value} {unit} a month.", MONTHS),
               Op("what does it become after a {p}% increase?", "{x} * (1 + {p}/100)", "After a {p}% increase it is {value} {unit}.", P_SMALL),
               Op("how much is left after spending {p}% of it?", "{x} * (1 - {p}/100)", "After spending {p}% of it, {value} {unit} is left.", P_LARGE)],
        "zh": [Op("算一下它的{p}%是多少。", "{p}/100 * {x}", "它的{p}%是{value}{unit}。", {"p": (5, 40)}),
               Op("按{n}个月平均分，算出每月多少。", "{x} / {n}", "按{n}个月平均分，每月{value}{unit}。", MONTHS),
               Op("算算增加{p}%以后是多少。", "{x} * (1 + {p}/100)", "增加{p}%以后是{value}{unit}。", P_SMALL),
               Op("算一下花掉{p}%之后还剩多少。", "{x} * (1 - {p}/100)", "花掉{p}%之后还剩{value}{unit}。", P_LARGE)]},
    "monthly": {
        "en": [Op("what does that come to over a year?", "{x} * 12", "Over a year that comes to {value} {unit}."),
               Op("how much is it over {n} months?", "{x} * {n}", "Over {n} months it is {value} {unit}.", MONTHS),
               Op("what will it be after a {p}% rise?", "{x} * (1 + {p}/100)", "After a {p}% rise it will be {value} {unit} a month.", P_SMALL)],
        "zh": [Op("算一下一年一共多少钱。", "{x} * 12", "一年一共{value}{unit}。"),
               Op("算算{n}个月一共要交多少。", "{x} * {n}", "{n}个月一共{value}{unit}。", MONTHS),
               Op("算一下上涨{p}%以后每月多少。", "{x} * (1 + {p}/100)", "上涨{p}%以后每月{value}{unit}。", P_SMALL)]},
    "price": {
        "en": [Op("how much do {n} of them cost?", "{x} * {n}", "{n} of them cost {value} {unit}.", {"n": (2, 40)}),
               Op("what is the price with {p}% off?", "{x} * (1 - {p}/100)", "With {p}% off it is {value} {unit}.", P_LARGE),
               Op("what is it with {p}% tax added?", "{x} * (1 + {p}/100)", "With {p}% tax it is {value} {unit}.", P_SMALL)],
        "zh": [Op("算一下按这个单价买{n}件一共多少钱。", "{x} * {n}", "买{n}件一共{value}{unit}。", {"n": (2, 40)}),
               Op("算算打{k}折以后多少钱。", "{x} * {k} / 10", "打{k}折以后是{value}{unit}。", {"k": (5, 9)}),
               Op("算一下加上{p}%的税是多少。", "{x} * (1 + {p}/100)", "加上{p}%的税是{value}{unit}。", P_SMALL)]},
    "count": {
        "en": [Op("at {n} dollars each, what is the total cost?", "{x} * {n}", "At {n} dollars each, the total is {value} dollars.", {"n": (3, 90)}),
               Op("what is double that?", "{x} * 2", "Double that is {value} {unit}."),
               Op("divided evenly among {n} groups, how many per group?", "{x} / {n}", "Among {n} groups that is {value} {unit} per group.", {"n": (2, 9)}),
               Op("what would it be after {p}% growth?", "{x} * (1 + {p}/100)", "After {p}% growth it would be {value} {unit}.", P_SMALL)],
        "zh": [Op("按每{unit}{n}元算一下总费用。", "{x} * {n}", "按每{unit}{n}元算，总费用是{value}元。", {"n": (3, 90)}),
               Op("算算它的两倍是多少。", "{x} * 2", "两倍是{value}{unit}。"),
               Op("算一下平均分成{n}组，每组多少{unit}。", "{x} / {n}", "平均分成{n}组，每组{value}{unit}。", {"n": (2, 9)}),
               Op("算算增长{p}%以后是多少。", "{x} * (1 + {p}/100)", "增长{p}%以后是{value}{unit}。", P_SMALL)]},
    "population": {
        "en": [Op("what is {p}% of that?", "{p}/100 * {x}", "{p}% of that is {value} {unit}.", {"p": (5, 60)}),
               Op("what would it be after {p}% growth?", "{x} * (1 + {p}/100)", "After {p}% growth it would be {value} {unit}.", P_SMALL),
               Op("what is half of it?", "{x} / 2", "Half of it is {value} {unit}.")],
        "zh": [Op("算一下其中{p}%是多少。", "{p}/100 * {x}", "其中{p}%是{value}{unit}。", {"p": (5, 60)}),
               Op("算算增长{p}%以后是多少。", "{x} * (1 + {p}/100)", "增长{p}%以后是{value}{unit}。", P_SMALL),
               Op("算一下它的一半是多少。", "{x} / 2", "一半是{value}{unit}。")]},
    "km": {
        "en": [Op("how far is that in miles?", "{x} * 0.621371", "That is {value} miles."),
               Op("what is the round trip?", "{x} * 2", "The round trip is {value} km."),
               Op("how many hours does it take at {v} km/h?", "{x} / {v}", "At {v} km/h it takes {value} hours.", {"v": (40, 120)})],
        "zh": [Op("换算成英里算一下。", "{x} * 0.621371", "合{value}英里。"),
               Op("算一下往返一共多少公里。", "{x} * 2", "往返一共{value}公里。"),
               Op("按时速{v}公里算一下要几个小时。", "{x} / {v}", "按时速{v}公里算，需要{value}小时。", {"v": (40, 120)})]},
    "trail": {
        "en": [Op("how far is that in miles?", "{x} * 0.621371", "That is {value} miles."),
               Op("how long is it there and back?", "{x} * 2", "There and back it is {value} km."),
               Op("how many hours is that at a walking pace of {v} km/h?", "{x} / {v}", "At {v} km/h it takes {value} hours.", {"v": (3, 6)})],
        "zh": [Op("换算成英里算一下。", "{x} * 0.621371", "合{value}英里。"),
               Op("算一下走一个来回是多少公里。", "{x} * 2", "走一个来回是{value}公里。"),
               Op("按每小时走{v}公里算一下要走几个小时。", "{x} / {v}", "按每小时{v}公里算，要走{value}小时。", {"v": (3, 6)})]},
    "metres": {
        "en": [Op("how many feet is that?", "{x} * 3.28084", "That is {value} feet."),
               Op("what is twice that?", "{x} * 2", "Twice that is {value} metres."),
               Op("how many 3-metre storeys would that be?", "{x} / 3", "That would be {value} storeys of 3 metres.")],
        "zh": [Op("换算成英尺算一下。", "{x} * 3.28084", "合{value}英尺。"),
               Op("算算它的两倍是多少米。", "{x} * 2", "两倍是{value}米。"),
               Op("按每层3米算一下相当于多少层楼。", "{x} / 3", "按每层3米算，相当于{value}层楼。")]},
    "year": {
        "en": [Op("how many years before {y} was that?", "{y} - {x}", "That was {value} years before {y}.", YEAR),
               Op("how old will it be in {y}?", "{y} - {x}", "In {y} it will be {value} years old.", YEAR),
               Op("how many decades is it from then to {y}?", "({y} - {x}) / 10", "From then to {y} is {value} decades.", YEAR)],
        "zh": [Op("算一下到{y}年一共过去了多少年。", "{y} - {x}", "到{y}年一共过去了{value}年。", YEAR),
               Op("算算{y}年是它的多少周年。", "{y} - {x}", "{y}年是它的{value}周年。", YEAR),
               Op("算一下到{y}年相当于多少个十年。", "({y} - {x}) / 10", "到{y}年相当于{value}个十年。", YEAR)]},
    "speed": {
        "en": [Op("what is that in km/h?", "{x} * 3.6", "That is {value} km/h."),
               Op("how far does it travel in {t} seconds, in metres?", "{x} * {t}", "In {t} seconds it travels {value} metres.", {"t": (2, 60)})],
        "zh": [Op("算一下换算成每小时多少公里。", "{x} * 3.6", "合每小时{value}公里。"),
               Op("算算{t}秒能传播多少米。", "{x} * {t}", "{t}秒能传播{value}米。", {"t": (2, 60)})]},
}


# ---- the wordings -------------------------------------------------------------------------------
FRAMES: dict[str, dict[Language, list[str]]] = {
    "knowledge_base": {
        "en": ["My notes have the {label} for {name}; {ask}",
               "Check my documents for {name}'s {label}, then answer this: {ask}",
               "Look up the {label} of project {name} in my knowledge base. With that figure, {ask}",
               "I saved the {label} of {name} in my files. Using it, {ask}",
               "Pull the {label} for {name} from my notes and tell me: {ask}",
               "Based on the {label} recorded for {name} in my uploaded docs, {ask}"],
        "zh": ["根据我的笔记，{name}项目的{label}是多少？{ask}",
               "查一下我的文档里{name}的{label}，然后{ask}",
               "我的知识库里记着{name}项目的{label}，用这个数{ask}",
               "先从我的笔记里找出{name}项目的{label}，再{ask}",
               "我上传的资料里有{name}的{label}，帮我{ask}"]},
    "web_search": {
        "en": ["Look up {name} online. {Ask}",
               "Search the web for {name} and tell me: {ask}",
               "Find {name} on the web; {ask}",
               "Can you search for {name}? {Ask}",
               "Use web search to get {name}. Once you have the figure, {ask}",
               "Find out {name} online and work this out: {ask}"],
        "zh": ["上网查一下{name}，然后{ask}",
               "帮我搜索{name}，再{ask}",
               "联网搜一搜{name}，拿到数字后{ask}",
               "用网络搜索查出{name}，接着{ask}",
               "我想知道{name}，搜到以后帮我{ask}"]},
    "fetch_url": {
        "en": ["Open {name} and find {label}. {Ask}",
               "Read {name}: it gives {label}. {Ask}",
               "Fetch {name}, take {label} from it, and tell me: {ask}",
               "What is {label} on {name}? Once you know, {ask}",
               "Go to {name} and use {label} to answer: {ask}"],
        "zh": ["打开 {name}，找到{label}，然后{ask}",
               "读一下 {name} 里的{label}，再{ask}",
               "帮我看看 {name} 上写的{label}，接着{ask}",
               "从 {name} 这个页面取出{label}，{ask}"]},
}
LEADS: dict[str, dict[Language, str]] = {
    "knowledge_base": {"en": "Your notes ({where}) give the {label} of {name} as {amount}.",
                       "zh": "你的笔记（{where}）里，{name}项目的{label}是{amount}。"},
    "web_search": {"en": "According to {site}, {label}.", "zh": "根据 {site}，{label}。"},
    "fetch_url": {"en": "The page gives {label} as {amount}.", "zh": "页面上写的{label}是{amount}。"},
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def request_templates() -> set[str]:
    """Every request wording this module can make, figures filled in and computation slots left in
    braces (as the held-out banks write theirs), for the checks against held-out wording."""
    templates = set()
    for chain, frames in FRAMES.items():
        for language, figure in ((lang, f) for lang in ("en", "zh") for f in FIGURES[chain][lang]):
            for frame, op in product(frames[language], OPS[figure.kind][language]):
                ask = op.ask.replace("{unit}", figure.unit)
                templates.add(frame.format(name=figure.name, label=figure.label, ask=ask, Ask=_cap(ask)))
    return templates


# ---- building ------------------------------------------------------------------------------------
def convert_multistep(count: int, seed: int = 0, all_tools_share: float = 0.5,
                      observer: Observer | None = None) -> Converted:
    """`count` two-step conversations, English and Chinese alternating, the three chains in turn."""
    observer = observer or Observer()
    rng = random.Random(f"{seed}-multistep")
    result = Converted("lingxi_multistep")
    seen: set[tuple] = set()
    for index in range(count):
        language: Language = "en" if index % 2 == 0 else "zh"
        chain = CHAINS[(index // 2) % len(CHAINS)]
        conversation = _conversation(chain, language, rng, observer, all_tools_share, seen)
        conversation.id = f"multistep-{chain}-{language}-{index}"
        result.conversations.append(conversation)
        result.notes[f"chain {chain} -> calculator"] += 1
    return result


def _conversation(chain: str, language: Language, rng: random.Random, observer: Observer,
                  all_tools_share: float, seen: set[tuple]) -> Conversation:
    frames = FRAMES[chain][language]
    for _attempt in range(20):  # a combination not used yet, while there are any
        figure = rng.choice(FIGURES[chain][language])
        frame, op = rng.choice(frames), rng.choice(OPS[figure.kind][language])
        if (figure.name, frame, op.ask) not in seen:
            break
    seen.add((figure.name, frame, op.ask))
    values = _draw(op.slots, figure, rng)
    ask = op.ask.format(**values, unit=figure.unit)
    request = frame.format(name=figure.name, label=figure.label, ask=ask, Ask=_cap(ask))
    first_call, observation = _first_step(chain, figure, language, rng)
    expression = op.expression.format(**values, x=figure.operand)
    calculated = calculator_result(observer, expression)
    site = figure.where.split("/")[2] if chain == "web_search" else ""  # the result's domain, as make_web cites it
    lead = LEADS[chain][language].format(where=figure.where, site=site, label=figure.label, name=figure.name,
                                         amount=figure.amount(language))
    sentence = op.answer.format(**values, unit=figure.unit, value=quoted_value(calculated))
    answer = f"{lead}{'' if language == 'zh' else ' '}{sentence}"
    second_call = {"name": "calculator", "arguments": {"expression": expression}}
    messages = [{"role": "user", "content": request}, *_step("call_0", first_call, observation),
                *_step("call_1", second_call, calculated), {"role": "assistant", "content": answer}]
    tools = _offered([chain, "calculator"], rng, all_tools_share)
    return Conversation(messages=messages, tools=tool_schemas(tools), source=f"lingxi_multistep:{chain}")


def _draw(slots: dict[str, tuple[int, int]], figure: Figure, rng: random.Random) -> dict[str, int]:
    """Random slot values, none equal to the figure (so the figure in a call can only come from the observation)."""
    while True:
        values = {name: rng.randint(low, high) for name, (low, high) in slots.items()}
        if all(str(value) != figure.operand for value in values.values()):
            return values


def _first_step(chain: str, figure: Figure, language: Language, rng: random.Random) -> tuple[dict[str, Any], str]:
    """The first call and its canned observation, rendered as the tool renders it."""
    if chain == "knowledge_base":
        query = f"{figure.name} {figure.label}"
        other = rng.choice([f for f in NOTES[language] if f.name != figure.name])
        passages = [format_passage(1, figure.where, "chunk 0", round(rng.uniform(0.62, 0.9), 2), figure.text),
                    format_passage(2, other.where, "chunk 0", round(rng.uniform(0.2, 0.45), 2), other.text)]
        content = ExternalContent(source=f"knowledge base search for {query!r}", text="\n\n".join(passages))
        call = {"name": "knowledge_base", "arguments": {"query": query}}
    elif chain == "web_search":
        results = [{"title": figure.title, "href": figure.where, "body": figure.text}]
        content = ExternalContent(source=f"web search for {figure.name!r}", text=format_results(results))
        call = {"name": "web_search", "arguments": {"query": figure.name}}
    else:
        content = ExternalContent(source=figure.name, text=f"Title: {figure.where}\n\n{figure.text}")
        call = {"name": "fetch_url", "arguments": {"url": figure.name}}
    return call, render_observation(content, OBSERVATION_CHARS)[0]


def _step(call_id: str, call: dict[str, Any], observation: str) -> list[dict[str, Any]]:
    """One assistant turn with one call, and the tool's answer to it."""
    return [{"role": "assistant", "content": None, "tool_calls": [{
                "id": call_id, "type": "function",
                "function": {"name": call["name"], "arguments": json.dumps(call["arguments"], ensure_ascii=False)}}]},
            {"role": "tool", "tool_call_id": call_id, "name": call["name"], "content": observation}]


def _offered(needed: list[str], rng: random.Random, all_tools_share: float) -> list[str]:
    """All five tools (as the app offers them) in `all_tools_share` of cases, else the two needed
    plus one other, shuffled."""
    if rng.random() < all_tools_share:
        return list(TOOL_NAMES)
    chosen = needed + [rng.choice([name for name in TOOL_NAMES if name not in needed])]
    rng.shuffle(chosen)
    return chosen
