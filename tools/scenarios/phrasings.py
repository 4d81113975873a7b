"""The phrasing banks of the tool-use scenarios: requests, answers and the facts behind them.

Every bank is a list; the split is made by position (`generate.is_test`): every fourth
phrasing, topic, project and page belongs to the held-out test split only, so an evaluation
item never shares its wording or its entity with a training conversation. Slots in braces are
filled by the generator; `{value}` is what the real tool returned.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CalcPhrasing:
    """A word problem: `request` and `expression` share slots (random integers in `slots`)."""

    request: str
    expression: str
    answer: str
    slots: dict[str, tuple[int, int]] = field(default_factory=dict)


CALCULATOR = {
    "en": [
        CalcPhrasing("Three nights at {a} € a night, plus {p}% tax: what do I pay?",
                     "3 * {a} * (1 + {p}/100)", "You pay {value} € in total.", {"a": (60, 300), "p": (5, 20)}),
        CalcPhrasing("What is {a} times {b}?", "{a} * {b}", "{a} times {b} is {value}.", {"a": (12, 999), "b": (12, 999)}),
        CalcPhrasing("I bought {n} notebooks at {a} yuan each. How much did I spend?", "{n} * {a}",
                     "You spent {value} yuan.", {"n": (2, 40), "a": (3, 60)}),
        CalcPhrasing("A {a} dollar jacket is {p}% off. What is the sale price?", "{a} * (1 - {p}/100)",
                     "The sale price is {value} dollars.", {"a": (40, 400), "p": (10, 70)}),
        CalcPhrasing("Split a bill of {a} dollars evenly between {n} people. How much does each pay?", "{a} / {n}",
                     "Each person pays {value} dollars.", {"a": (50, 900), "n": (2, 9)}),
        CalcPhrasing("Calculate {a} + {b} - {c}.", "{a} + {b} - {c}", "The result is {value}.",
                     {"a": (100, 9999), "b": (100, 9999), "c": (1, 999)}),
        CalcPhrasing("What is the square root of {sq}?", "sqrt({sq})", "The square root of {sq} is {value}.",
                     {"sq": (2, 5000)}),
        CalcPhrasing("A car travels {d} km in {h} hours. What is its average speed in km/h?", "{d} / {h}",
                     "Its average speed is {value} km/h.", {"d": (60, 900), "h": (2, 9)}),
        CalcPhrasing("If I save {a} dollars a month, how much do I have after {n} months?", "{a} * {n}",
                     "After {n} months you have {value} dollars.", {"a": (50, 900), "n": (3, 36)}),
        CalcPhrasing("What is {p}% of {a}?", "{p}/100 * {a}", "{p}% of {a} is {value}.", {"p": (3, 95), "a": (20, 5000)}),
        CalcPhrasing("Use the calculator: ({a} + {b}) * {c}", "({a} + {b}) * {c}", "({a} + {b}) * {c} = {value}.",
                     {"a": (2, 300), "b": (2, 300), "c": (2, 60)}),
        CalcPhrasing("A rectangle is {a} m long and {b} m wide. What is its area?", "{a} * {b}",
                     "The area is {value} square metres.", {"a": (3, 120), "b": (3, 120)}),
        CalcPhrasing("How many minutes are there in {n} days?", "{n} * 24 * 60", "There are {value} minutes in {n} days.",
                     {"n": (2, 60)}),
        CalcPhrasing("{a} dollars invested at {p}% interest for one year: how much is it worth at the end?",
                     "{a} * (1 + {p}/100)", "It is worth {value} dollars at the end of the year.",
                     {"a": (100, 20000), "p": (1, 12)}),
        CalcPhrasing("Convert {c} degrees Celsius to Fahrenheit.", "{c} * 9/5 + 32", "{c} °C is {value} °F.",
                     {"c": (-30, 120)}),
        CalcPhrasing("What is {a} divided by {b}?", "{a} / {b}", "{a} divided by {b} is {value}.",
                     {"a": (100, 99999), "b": (2, 97)}),
    ],
    "zh": [
        CalcPhrasing("住三晚，每晚{a}元，另加{p}%的税，一共要付多少钱？", "3 * {a} * (1 + {p}/100)",
                     "一共要付{value}元。", {"a": (150, 900), "p": (5, 20)}),
        CalcPhrasing("{a}乘以{b}等于多少？", "{a} * {b}", "{a}乘以{b}等于{value}。", {"a": (12, 999), "b": (12, 999)}),
        CalcPhrasing("我买了{n}本书，每本{a}元，一共花了多少钱？", "{n} * {a}", "你一共花了{value}元。",
                     {"n": (2, 40), "a": (8, 90)}),
        CalcPhrasing("一件{a}元的外套打{k}折，现价多少？", "{a} * {k} / 10", "现价是{value}元。", {"a": (100, 2000), "k": (5, 9)}),
        CalcPhrasing("{n}个人平分{a}元的账单，每人付多少？", "{a} / {n}", "每人付{value}元。", {"a": (100, 3000), "n": (2, 9)}),
        CalcPhrasing("帮我算一下 {a} + {b} - {c}。", "{a} + {b} - {c}", "结果是{value}。",
                     {"a": (100, 9999), "b": (100, 9999), "c": (1, 999)}),
        CalcPhrasing("{sq}的平方根是多少？", "sqrt({sq})", "{sq}的平方根是{value}。", {"sq": (2, 5000)}),
        CalcPhrasing("一辆车{h}小时行驶了{d}公里，平均时速是多少？", "{d} / {h}", "平均时速是每小时{value}公里。",
                     {"d": (60, 900), "h": (2, 9)}),
        CalcPhrasing("我每个月存{a}元，{n}个月后一共存了多少？", "{a} * {n}", "{n}个月后一共存了{value}元。",
                     {"a": (200, 5000), "n": (3, 36)}),
        CalcPhrasing("{a}的{p}%是多少？", "{p}/100 * {a}", "{a}的{p}%是{value}。", {"p": (3, 95), "a": (20, 5000)}),
        CalcPhrasing("用计算器算：({a} + {b}) × {c}", "({a} + {b}) * {c}", "({a} + {b}) × {c} = {value}。",
                     {"a": (2, 300), "b": (2, 300), "c": (2, 60)}),
        CalcPhrasing("一块长{a}米、宽{b}米的地，面积是多少平方米？", "{a} * {b}", "面积是{value}平方米。",
                     {"a": (3, 120), "b": (3, 120)}),
        CalcPhrasing("{n}天一共有多少分钟？", "{n} * 24 * 60", "{n}天一共有{value}分钟。", {"n": (2, 60)}),
        CalcPhrasing("{a}元存一年定期，年利率{p}%，到期一共能拿多少？", "{a} * (1 + {p}/100)",
                     "到期一共能拿{value}元。", {"a": (1000, 50000), "p": (1, 5)}),
        CalcPhrasing("把摄氏{c}度换算成华氏度。", "{c} * 9/5 + 32", "摄氏{c}度等于华氏{value}度。", {"c": (-30, 120)}),
        CalcPhrasing("{a}除以{b}等于多少？", "{a} / {b}", "{a}除以{b}等于{value}。", {"a": (100, 99999), "b": (2, 97)}),
    ],
}

PARALLEL = {
    "en": [
        ("What are {a} * {b} and {c} * {d}?", ["{a} * {b}", "{c} * {d}"], "{a} * {b} = {v0} and {c} * {d} = {v1}."),
        ("Compute both {a} + {b} and {c} - {d}.", ["{a} + {b}", "{c} - {d}"], "{a} + {b} = {v0}; {c} - {d} = {v1}."),
        ("I need two numbers: {a} divided by {b}, and {c} squared.", ["{a} / {b}", "{c}^2"],
         "{a} / {b} = {v0}, and {c} squared is {v1}."),
        ("Shop A sells {n} apples for {a} cents each, shop B {m} for {c} cents each. What does each order cost?",
         ["{n} * {a}", "{m} * {c}"], "Shop A's order costs {v0} cents and shop B's {v1} cents."),
        ("Give me {p}% of {a} and {q}% of {c}.", ["{p}/100 * {a}", "{q}/100 * {c}"], "{p}% of {a} is {v0}; {q}% of {c} is {v1}."),
        ("What are the square roots of {a} and {c}?", ["sqrt({a})", "sqrt({c})"], "√{a} = {v0} and √{c} = {v1}."),
        ("Calculate {a} * {b} and {c} / {d} at the same time.", ["{a} * {b}", "{c} / {d}"], "{a} * {b} = {v0}, {c} / {d} = {v1}."),
        ("Work out {a} + {b} + {c} and {d} * {n}.", ["{a} + {b} + {c}", "{d} * {n}"], "The sum is {v0} and the product {v1}."),
    ],
    "zh": [
        ("{a}乘{b}和{c}乘{d}分别是多少？", ["{a} * {b}", "{c} * {d}"], "{a}×{b}={v0}，{c}×{d}={v1}。"),
        ("同时算一下 {a} + {b} 和 {c} - {d}。", ["{a} + {b}", "{c} - {d}"], "{a} + {b} = {v0}；{c} - {d} = {v1}。"),
        ("我要两个数：{a}除以{b}，以及{c}的平方。", ["{a} / {b}", "{c}^2"], "{a}除以{b}是{v0}，{c}的平方是{v1}。"),
        ("甲店{n}个苹果每个{a}角，乙店{m}个每个{c}角，两份各多少钱？", ["{n} * {a}", "{m} * {c}"],
         "甲店要{v0}角，乙店要{v1}角。"),
        ("{a}的{p}%和{c}的{q}%各是多少？", ["{p}/100 * {a}", "{q}/100 * {c}"], "{a}的{p}%是{v0}，{c}的{q}%是{v1}。"),
        ("{a}和{c}的平方根分别是多少？", ["sqrt({a})", "sqrt({c})"], "√{a}={v0}，√{c}={v1}。"),
        ("一起算：{a} × {b} 和 {c} ÷ {d}。", ["{a} * {b}", "{c} / {d}"], "{a}×{b}={v0}，{c}÷{d}={v1}。"),
        ("算出 {a} + {b} + {c} 以及 {d} × {n}。", ["{a} + {b} + {c}", "{d} * {n}"], "和是{v0}，积是{v1}。"),
    ],
}
PARALLEL_SLOTS = {"a": (2, 999), "b": (2, 99), "c": (2, 999), "d": (2, 99), "n": (2, 30), "m": (2, 30),
                  "p": (5, 90), "q": (5, 90)}


@dataclass(frozen=True)
class PythonPhrasing:
    """A task for the sandbox: `code` is the gold program; its real output is the observation."""

    request: str
    code: str
    answer: str


PYTHON_WORDS = ["lantern", "harbor", "quantum", "marigold", "velvet", "cascade", "meridian", "saffron",
                "tundra", "orchard", "nebula", "pavilion", "juniper", "glacier", "labyrinth", "zephyr"]
PYTHON = {
    "en": [
        PythonPhrasing("Reverse the string '{word}' with Python.", "print('{word}'[::-1])",
                       "Reversed, '{word}' reads '{value}'."),
        PythonPhrasing("Use Python to count the vowels in '{word}'.",
                       "print(sum(ch in 'aeiou' for ch in '{word}'))", "'{word}' has {value} vowels."),
        PythonPhrasing("Run code that prints the first {n} Fibonacci numbers.",
                       "a, b = 0, 1\nout = []\nfor _ in range({n}):\n    out.append(a)\n    a, b = b, a + b\nprint(out)",
                       "The first {n} Fibonacci numbers are {value}."),
        PythonPhrasing("Check with Python whether {prime} is a prime number.",
                       "n = {prime}\nprint(n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1)))",
                       "Is {prime} prime? The check says: {value}."),
        PythonPhrasing("Sort these numbers with Python: {nums}.", "print(sorted([{nums}]))", "Sorted: {value}."),
        PythonPhrasing("Write and run Python that sums the squares of 1 to {n}.",
                       "print(sum(i * i for i in range(1, {n} + 1)))", "The sum of the squares of 1 to {n} is {value}."),
        PythonPhrasing("What weekday was {year}-{month:02d}-{day:02d}? Find out with Python.",
                       "import datetime\nprint(datetime.date({year}, {month}, {day}).strftime('%A'))",
                       "{year}-{month:02d}-{day:02d} was a {value}."),
        PythonPhrasing("Use code to convert '{word}' to upper case and count its letters.",
                       "s = '{word}'\nprint(s.upper(), len(s))", "In upper case it is {value} (word, then letter count)."),
    ],
    "zh": [
        PythonPhrasing("用 Python 把字符串 '{word}' 反转。", "print('{word}'[::-1])", "反转后是 '{value}'。"),
        PythonPhrasing("用 Python 数一数 '{word}' 里有几个元音字母。",
                       "print(sum(ch in 'aeiou' for ch in '{word}'))", "'{word}' 里有 {value} 个元音字母。"),
        PythonPhrasing("运行代码，输出前{n}个斐波那契数。",
                       "a, b = 0, 1\nout = []\nfor _ in range({n}):\n    out.append(a)\n    a, b = b, a + b\nprint(out)",
                       "前{n}个斐波那契数是 {value}。"),
        PythonPhrasing("用 Python 判断 {prime} 是不是质数。",
                       "n = {prime}\nprint(n > 1 and all(n % d for d in range(2, int(n ** 0.5) + 1)))",
                       "{prime} 是否为质数：{value}。"),
        PythonPhrasing("用 Python 给这些数排序：{nums}。", "print(sorted([{nums}]))", "排序结果：{value}。"),
        PythonPhrasing("写一段 Python 计算 1 到 {n} 的平方和并运行。",
                       "print(sum(i * i for i in range(1, {n} + 1)))", "1 到 {n} 的平方和是 {value}。"),
        PythonPhrasing("{year}年{month}月{day}日是星期几？用 Python 查一下。",
                       "import datetime\nprint(datetime.date({year}, {month}, {day}).isoweekday())",
                       "{year}年{month}月{day}日是星期{value}（1 表示星期一）。"),
        PythonPhrasing("用代码把 '{word}' 转成大写，并数一下字母个数。",
                       "s = '{word}'\nprint(s.upper(), len(s))", "结果是 {value}（大写形式和字母个数）。"),
    ],
}


@dataclass(frozen=True)
class Fact:
    """Something the web knows: the query words a good search uses, canned results, the answer."""

    topic: str
    keywords: tuple[str, ...]
    """A good query contains at least one of these (case-insensitive)."""
    results: tuple[tuple[str, str, str], ...]
    """(title, url, snippet) of each canned search result."""
    answer_keys: tuple[str, ...]
    """A correct answer contains at least one of these."""
    answer: str


WEB_FACTS = {
    "en": [
        Fact("the height of Mount Everest", ("everest",),
             (("Mount Everest - Wikipedia", "https://en.wikipedia.org/wiki/Mount_Everest",
               "Mount Everest is Earth's highest mountain above sea level; its height is 8,849 metres (29,032 ft)."),
              ("Everest height remeasured", "https://www.nationalgeographic.com/everest-height",
               "China and Nepal jointly announced a new height of 8,848.86 m in 2020.")),
             ("8,849", "8849", "8,848.86", "8848.86"), "Mount Everest is 8,849 metres (8,848.86 m) high."),
        Fact("who won the 2022 FIFA World Cup", ("world cup", "2022"),
             (("2022 FIFA World Cup final", "https://www.fifa.com/worldcup/2022/final",
               "Argentina won the 2022 FIFA World Cup, beating France on penalties after a 3-3 draw in Lusail."),),
             ("argentina",), "Argentina won the 2022 World Cup, beating France on penalties."),
        Fact("when Python 3.0 was released", ("python 3", "python"),
             (("History of Python", "https://docs.python.org/3/faq/general.html",
               "Python 3.0 was released on 3 December 2008, a major revision not fully backward compatible."),),
             ("2008",), "Python 3.0 was released in December 2008."),
        Fact("the tallest building in the world", ("tallest building",),
             (("Burj Khalifa", "https://www.burjkhalifa.ae/en/the-tower",
               "At 828 metres, the Burj Khalifa in Dubai has been the world's tallest building since 2010."),),
             ("burj khalifa",), "The tallest building is the Burj Khalifa in Dubai, 828 metres high."),
        Fact("the deepest lake on Earth", ("deepest lake",),
             (("Lake Baikal", "https://en.wikipedia.org/wiki/Lake_Baikal",
               "Lake Baikal in Siberia is the deepest lake in the world, with a maximum depth of 1,642 m."),),
             ("baikal",), "The deepest lake is Lake Baikal in Siberia, 1,642 m at its deepest."),
        Fact("the author of One Hundred Years of Solitude", ("one hundred years of solitude", "solitude"),
             (("One Hundred Years of Solitude", "https://www.britannica.com/topic/One-Hundred-Years-of-Solitude",
               "One Hundred Years of Solitude is a 1967 novel by Colombian author Gabriel García Márquez."),),
             ("márquez", "marquez"), "It was written by Gabriel García Márquez (1967)."),
        Fact("when the Eiffel Tower was completed", ("eiffel",),
             (("Eiffel Tower history", "https://www.toureiffel.paris/en/the-monument/history",
               "The Eiffel Tower was completed in March 1889 for the Exposition Universelle in Paris."),),
             ("1889",), "The Eiffel Tower was completed in 1889."),
        Fact("the largest planet in the solar system", ("largest planet",),
             (("Jupiter facts", "https://science.nasa.gov/jupiter/facts",
               "Jupiter is the largest planet in our solar system, more than twice as massive as all the others combined."),),
             ("jupiter",), "Jupiter is the largest planet in the solar system."),
        Fact("the speed of light in a vacuum", ("speed of light",),
             (("Speed of light", "https://www.britannica.com/science/speed-of-light",
               "The speed of light in a vacuum is exactly 299,792,458 metres per second."),),
             ("299,792,458", "299792458"), "Light travels at 299,792,458 m/s in a vacuum."),
        Fact("who painted the Mona Lisa", ("mona lisa",),
             (("Mona Lisa - Louvre", "https://www.louvre.fr/en/mona-lisa",
               "The Mona Lisa was painted by Leonardo da Vinci between about 1503 and 1519."),),
             ("leonardo", "da vinci"), "The Mona Lisa was painted by Leonardo da Vinci."),
        Fact("the first person to walk on the Moon", ("moon",),
             (("Apollo 11", "https://www.nasa.gov/mission/apollo-11",
               "On 20 July 1969 Neil Armstrong became the first person to walk on the Moon."),),
             ("armstrong",), "Neil Armstrong, on 20 July 1969."),
        Fact("the chemical symbol of gold", ("gold",),
             (("Gold - element", "https://www.rsc.org/periodic-table/element/79/gold",
               "Gold is a chemical element with symbol Au (from Latin aurum) and atomic number 79."),),
             ("au",), "The chemical symbol of gold is Au."),
    ],
    "zh": [
        Fact("珠穆朗玛峰的高度", ("珠穆朗玛", "珠峰"),
             (("珠穆朗玛峰 - 百科", "https://baike.example.cn/zhumulangma",
               "2020年中国和尼泊尔共同宣布珠穆朗玛峰最新高程为8848.86米。"),),
             ("8848.86",), "珠穆朗玛峰高8848.86米（2020年测定）。"),
        Fact("长江有多长", ("长江",),
             (("长江 - 百科", "https://baike.example.cn/changjiang", "长江全长约6300公里，是中国第一长河、世界第三长河。"),),
             ("6300",), "长江全长约6300公里。"),
        Fact("第一届现代奥运会在哪里举办", ("奥运会", "奥运"),
             (("现代奥林匹克运动会", "https://baike.example.cn/olympics", "1896年，第一届现代奥运会在希腊雅典举行。"),),
             ("雅典",), "第一届现代奥运会于1896年在希腊雅典举行。"),
        Fact("《红楼梦》的作者", ("红楼梦",),
             (("红楼梦 - 百科", "https://baike.example.cn/hongloumeng", "《红楼梦》是清代作家曹雪芹创作的章回体长篇小说。"),),
             ("曹雪芹",), "《红楼梦》的作者是曹雪芹。"),
        Fact("世界上最大的沙漠", ("沙漠",),
             (("撒哈拉沙漠", "https://baike.example.cn/sahara", "撒哈拉沙漠面积约906万平方公里，是世界上最大的热沙漠。"),),
             ("撒哈拉",), "世界上最大的热沙漠是撒哈拉沙漠。"),
        Fact("中国第一颗人造卫星的发射年份", ("人造卫星", "东方红"),
             (("东方红一号", "https://baike.example.cn/dfh1", "1970年4月24日，中国第一颗人造卫星东方红一号发射成功。"),),
             ("1970",), "中国第一颗人造卫星东方红一号于1970年发射。"),
        Fact("水在海平面的沸点是多少华氏度", ("沸点",),
             (("水的沸点", "https://baike.example.cn/boiling", "在标准大气压下，水的沸点是100摄氏度，即212华氏度。"),),
             ("212",), "水在海平面的沸点是212华氏度（100摄氏度）。"),
        Fact("太阳系中最大的行星", ("行星",),
             (("木星", "https://baike.example.cn/jupiter", "木星是太阳系中体积最大的行星，质量是其他行星总和的两倍多。"),),
             ("木星",), "太阳系中最大的行星是木星。"),
        Fact("世界上最高的建筑", ("最高的建筑", "最高建筑"),
             (("哈利法塔", "https://baike.example.cn/burj", "哈利法塔位于迪拜，高828米，是目前世界上最高的建筑。"),),
             ("哈利法塔", "828"), "世界上最高的建筑是迪拜的哈利法塔，高828米。"),
        Fact("青藏铁路的全长", ("青藏铁路",),
             (("青藏铁路", "https://baike.example.cn/qingzang", "青藏铁路东起西宁，西至拉萨，全长1956公里。"),),
             ("1956",), "青藏铁路全长1956公里。"),
        Fact("《西游记》的作者", ("西游记",),
             (("西游记 - 百科", "https://baike.example.cn/xiyouji", "《西游记》是明代吴承恩创作的长篇神魔小说。"),),
             ("吴承恩",), "《西游记》的作者是明代的吴承恩。"),
        Fact("光速是多少", ("光速",),
             (("光速", "https://baike.example.cn/light", "真空中的光速为每秒299792458米。"),),
             ("299792458", "299,792,458"), "真空中的光速是每秒299792458米。"),
    ],
}
WEB_REQUESTS = {
    "en": ["Search the web for {topic}.", "Can you look up {topic} online?", "Use web search: {topic}?",
           "Please find {topic} on the internet.", "Look this up for me: {topic}.",
           "I need a source from the web on {topic}.", "Google {topic} for me, please.",
           "Do a quick web search on {topic} and tell me."],
    "zh": ["帮我在网上搜一下{topic}。", "上网查查{topic}。", "用网络搜索：{topic}？", "请搜索一下{topic}。",
           "帮我查一下网上关于{topic}的资料。", "搜一搜{topic}，告诉我结果。", "能在网上找到{topic}吗？",
           "联网查一下{topic}。"],
}
WEB_ANSWER_PREFIX = {"en": "According to {source}: ", "zh": "根据 {source}："}


@dataclass(frozen=True)
class Note:
    """A fact in the user's own documents (the knowledge base)."""

    project: str
    document: str
    attribute: str
    value: str
    passage: str


NOTES = {
    "en": [
        Note("Falcon", "falcon-plan.md", "deadline", "14 March", "The Falcon launch deadline is 14 March; QA must sign off a week before."),
        Note("Aurora", "aurora-budget.md", "budget", "120,000 dollars", "Aurora's approved budget is 120,000 dollars, half of it for hardware."),
        Note("Cedar", "cedar-team.md", "owner", "Maria Chen", "Project Cedar is owned by Maria Chen; questions go to her first."),
        Note("Delta", "delta-notes.md", "meeting day", "Thursday", "The Delta team meets every Thursday at 10:00 in room 4B."),
        Note("Ember", "ember-plan.md", "deadline", "2 June", "Ember's first milestone is due on 2 June."),
        Note("Fjord", "fjord-infra.md", "server", "fjord-db-02", "Fjord's database runs on server fjord-db-02, backed up nightly."),
        Note("Granite", "granite-budget.md", "budget", "45,000 euros", "Granite has a budget of 45,000 euros for the year."),
        Note("Harbor", "harbor-team.md", "owner", "Tom Okafor", "Tom Okafor leads project Harbor since January."),
        Note("Iris", "iris-notes.md", "meeting day", "Monday", "Iris stand-ups are on Monday mornings."),
        Note("Juniper", "juniper-plan.md", "deadline", "30 September", "Juniper must ship by 30 September."),
        Note("Kestrel", "kestrel-infra.md", "server", "kestrel-gpu-7", "Kestrel trains on the machine kestrel-gpu-7."),
        Note("Lotus", "lotus-team.md", "owner", "Ana Silva", "Ana Silva is the product owner of Lotus."),
    ],
    "zh": [
        Note("青松", "青松项目计划.md", "截止日期", "3月14日", "青松项目的上线截止日期是3月14日，测试需提前一周完成。"),
        Note("白鹭", "白鹭预算.md", "预算", "12万元", "白鹭项目批准的预算为12万元，其中一半用于硬件。"),
        Note("星河", "星河团队.md", "负责人", "陈敏", "星河项目的负责人是陈敏，有问题先找她。"),
        Note("远山", "远山纪要.md", "例会时间", "每周四", "远山团队每周四上午十点在4B会议室开例会。"),
        Note("晨曦", "晨曦计划.md", "截止日期", "6月2日", "晨曦项目第一个里程碑的截止日期是6月2日。"),
        Note("海燕", "海燕运维.md", "服务器", "haiyan-db-02", "海燕项目的数据库部署在服务器 haiyan-db-02 上，每晚备份。"),
        Note("磐石", "磐石预算.md", "预算", "4.5万元", "磐石项目今年的预算是4.5万元。"),
        Note("港湾", "港湾团队.md", "负责人", "王磊", "港湾项目从一月起由王磊负责。"),
        Note("蓝鸢", "蓝鸢纪要.md", "例会时间", "每周一", "蓝鸢团队的站会安排在每周一上午。"),
        Note("翠柏", "翠柏计划.md", "截止日期", "9月30日", "翠柏项目必须在9月30日前发布。"),
        Note("雪鹰", "雪鹰运维.md", "服务器", "xueying-gpu-7", "雪鹰项目在 xueying-gpu-7 这台机器上训练。"),
        Note("莲华", "莲华团队.md", "负责人", "李娜", "莲华项目的产品负责人是李娜。"),
    ],
}
NOTE_REQUESTS = {
    "en": ["According to my notes, what is the {attribute} of project {project}?",
           "Check my documents: what's {project}'s {attribute}?",
           "Search my knowledge base for the {attribute} of {project}.",
           "What did I write down about the {attribute} of {project}?",
           "In my files, who or what is listed as the {attribute} for {project}?",
           "Look in my notes: {project} {attribute}?",
           "From my uploaded documents, tell me the {attribute} of {project}.",
           "My notes mention project {project}. What is its {attribute}?"],
    "zh": ["根据我的笔记，{project}项目的{attribute}是什么？", "查一下我的文档：{project}的{attribute}？",
           "在我的知识库里搜一下{project}项目的{attribute}。", "我记下的{project}项目{attribute}是什么来着？",
           "我的资料里{project}项目的{attribute}写的是什么？", "翻翻我的笔记：{project}的{attribute}。",
           "从我上传的文档里找出{project}项目的{attribute}。", "我的笔记里提到了{project}项目，它的{attribute}是什么？"],
}
NOTE_ANSWERS = {"en": "Your notes ({document}) say the {attribute} of {project} is {value}.",
                "zh": "你的笔记（{document}）里写着：{project}项目的{attribute}是{value}。"}


@dataclass(frozen=True)
class Page:
    """A web page the user points at: its canned text and what a summary must mention."""

    url: str
    title: str
    text: str
    answer_keys: tuple[str, ...]
    answer: str


PAGES = {
    "en": [
        Page("https://example.org/blog/solar-roofs", "Solar roofs pay off in eight years",
             "A study of 2,000 homes found that rooftop solar panels paid for themselves in about eight years on average.",
             ("eight", "8"), "The page says rooftop solar panels pay for themselves in about eight years."),
        Page("https://example.org/news/city-bikes", "City bike scheme doubles",
             "The city's bike-sharing scheme doubled to 10,000 bikes this year, with 40 new stations in the suburbs.",
             ("10,000", "10000", "doubled"), "The bike-sharing scheme doubled to 10,000 bikes, with 40 new stations."),
        Page("https://example.org/guide/sourdough", "A simple sourdough guide",
             "Feed the starter twice a day, let the dough rise for 12 hours, and bake at 230 °C for 40 minutes.",
             ("230", "12 hours"), "It says: rise 12 hours, then bake at 230 °C for 40 minutes."),
        Page("https://example.org/research/sleep", "Teenagers need more sleep",
             "Researchers recommend 8 to 10 hours of sleep a night for teenagers; most get fewer than 7.",
             ("8 to 10", "8-10"), "Teenagers should sleep 8 to 10 hours a night, but most get fewer than 7."),
        Page("https://example.org/docs/release-2-4", "Release 2.4 notes",
             "Version 2.4 adds offline mode, drops support for Windows 7, and fixes 31 bugs.",
             ("offline",), "Release 2.4 adds an offline mode, drops Windows 7 and fixes 31 bugs."),
        Page("https://example.org/travel/kyoto", "Kyoto in autumn",
             "Late November is the best time to see autumn leaves in Kyoto; temples open early to avoid crowds.",
             ("november",), "The best time for autumn leaves in Kyoto is late November."),
        Page("https://example.org/health/coffee", "How much coffee is too much",
             "Up to 400 mg of caffeine a day, about four cups of coffee, is safe for most adults.",
             ("400",), "Up to 400 mg of caffeine a day (about four cups) is safe for most adults."),
        Page("https://example.org/tech/battery", "New battery charges in ten minutes",
             "A new lithium iron phosphate battery charges from 10% to 80% in ten minutes.",
             ("ten minutes", "10 minutes"), "The new battery charges from 10% to 80% in ten minutes."),
    ],
    "zh": [
        Page("https://example.cn/news/gaotie", "新高铁线路开通",
             "新开通的高铁线路全长320公里，两地通行时间从四小时缩短到一小时十分钟。",
             ("320", "一小时十分"), "文章说新线路全长320公里，通行时间缩短到一小时十分钟。"),
        Page("https://example.cn/blog/chaye", "绿茶的冲泡方法", "冲泡绿茶的水温以80摄氏度为宜，第一泡浸泡约两分钟。",
             ("80",), "文章建议用80摄氏度的水冲泡绿茶，第一泡约两分钟。"),
        Page("https://example.cn/tech/app-update", "应用3.2版本更新说明", "3.2版本新增夜间模式，修复了17个问题，并优化了启动速度。",
             ("夜间模式",), "3.2版本新增了夜间模式，修复了17个问题。"),
        Page("https://example.cn/health/shuimian", "成年人需要多少睡眠", "研究建议成年人每晚睡7到9小时，长期睡眠不足会影响记忆力。",
             ("7到9", "7-9"), "文章建议成年人每晚睡7到9小时。"),
        Page("https://example.cn/travel/hangzhou", "杭州西湖游览指南", "西湖免费开放，春季清晨游人最少，苏堤全长约2.8公里。",
             ("2.8", "免费"), "西湖免费开放，苏堤全长约2.8公里，春季清晨人最少。"),
        Page("https://example.cn/food/jiaozi", "饺子的做法", "饺子馅建议肉和菜的比例为三比二，水开后煮约八分钟。",
             ("八分钟", "8分钟"), "文章说饺子水开后煮约八分钟，馅料肉菜比例三比二。"),
        Page("https://example.cn/edu/reading", "小学生阅读调查", "调查显示，小学生平均每天课外阅读时间为35分钟。",
             ("35",), "调查显示小学生平均每天课外阅读35分钟。"),
        Page("https://example.cn/energy/fengdian", "海上风电装机创新高", "今年海上风电新增装机容量达到600万千瓦，同比增长三成。",
             ("600",), "今年海上风电新增装机600万千瓦，同比增长三成。"),
    ],
}
PAGE_REQUESTS = {
    "en": ["Summarize this page: {url}", "What does {url} say?", "Read {url} and give me the main point.",
           "Can you fetch {url} and tell me what it's about?", "Open {url} and summarize it in one sentence.",
           "Please read this link for me: {url}", "What's the key fact on {url}?", "Give me the gist of {url}."],
    "zh": ["总结一下这个网页：{url}", "{url} 这篇讲了什么？", "读一下 {url}，告诉我要点。", "帮我打开 {url} 看看说了什么。",
           "用一句话概括 {url} 的内容。", "请帮我读这个链接：{url}", "{url} 里最关键的信息是什么？", "给我讲讲 {url} 的大意。"],
}

CHAT = {
    "en": [
        ("Hi! Who are you?", "Hi! I'm Lingxi, an assistant that can chat and use tools such as a calculator, Python and web search when they help."),
        ("Thanks, that was helpful!", "You're welcome! Let me know if there's anything else I can do."),
        ("Write a haiku about autumn.", "Crisp leaves drift and fall,\ngolden light on quiet paths,\nthe year breathes slowly."),
        ("Translate 'good morning' into French.", "'Good morning' in French is 'Bonjour'."),
        ("Give me a synonym for 'happy'.", "A synonym for 'happy' is 'joyful'."),
        ("Tell me a short joke.", "Why did the scarecrow win an award? Because he was outstanding in his field."),
        ("How are you today?", "I'm doing well, thank you for asking! How can I help you today?"),
        ("Rewrite this more politely: 'Send me the file now.'", "Could you please send me the file when you have a moment?"),
        ("What does 'LoRA' stand for in machine learning?", "LoRA stands for Low-Rank Adaptation, a way to fine-tune a model by training small low-rank matrices."),
        ("Suggest a name for a grey cat.", "How about 'Smoky'? It suits a grey cat well."),
        ("Good night!", "Good night! Sleep well."),
        ("Can you explain what an API is in one sentence?", "An API is a defined way for one program to ask another program for data or actions."),
        ("Write one sentence to start a birthday card for my sister.", "Happy birthday to the best sister anyone could wish for!"),
        ("What's the opposite of 'ancient'?", "The opposite of 'ancient' is 'modern'."),
        ("Give me a tip for staying focused while studying.", "Work in 25-minute blocks with short breaks, and keep your phone in another room."),
        ("Is it 'affect' or 'effect' in 'the weather affects my mood'?", "'Affects' is right here: 'affect' is the verb, 'effect' is usually the noun."),
    ],
    "zh": [
        ("你好！你是谁？", "你好！我是灵犀，一个可以聊天、也能在需要时使用计算器、Python 和网络搜索等工具的助手。"),
        ("谢谢，很有帮助！", "不客气！还有什么需要帮忙的，随时告诉我。"),
        ("写一句关于秋天的诗。", "秋风送爽叶飘黄，一片清辉照小窗。"),
        ("把“早上好”翻译成英文。", "“早上好”的英文是 “Good morning”。"),
        ("给我一个“高兴”的近义词。", "“高兴”的近义词可以是“快乐”。"),
        ("讲个简短的笑话。", "为什么数学书总是很忧郁？因为它有太多的问题。"),
        ("你今天过得怎么样？", "我很好，谢谢关心！今天有什么可以帮你的吗？"),
        ("把这句话改得更礼貌一些：“马上把文件发给我。”", "麻烦你方便的时候把文件发给我，谢谢！"),
        ("机器学习里的 LoRA 是什么意思？", "LoRA 是低秩适配（Low-Rank Adaptation），通过训练小的低秩矩阵来微调模型。"),
        ("给一只灰色的猫起个名字。", "叫“烟灰”怎么样？很适合灰色的猫。"),
        ("晚安！", "晚安！祝你好梦。"),
        ("用一句话解释什么是 API。", "API 是一个程序向另一个程序请求数据或操作的约定接口。"),
        ("帮我写一句给妹妹的生日贺卡开头。", "祝我最亲爱的妹妹生日快乐，愿你每天都开开心心！"),
        ("“古老”的反义词是什么？", "“古老”的反义词是“现代”。"),
        ("学习时怎么保持专注？给个建议。", "试试番茄工作法：专注25分钟，休息5分钟，并把手机放在另一个房间。"),
        ("“的”“地”“得”怎么区分？简单说。", "“的”接名词，“地”接动词，“得”用在动词后面接补语。"),
    ],
}

UNSERVED = {
    "en": [
        ("Book a table for two at an Italian restaurant tonight at 7.", "book restaurant tables"),
        ("Send a text message to my mom saying I'll be late.", "send text messages"),
        ("Turn off the lights in the living room.", "control your lights"),
        ("Order me a large pepperoni pizza.", "order food"),
        ("Set an alarm for 6:30 tomorrow morning.", "set alarms"),
        ("Play some relaxing jazz music.", "play music"),
        ("Transfer 200 dollars to Alice's bank account.", "make bank transfers"),
        ("Call a taxi to the airport for me.", "book a taxi"),
        ("Print this document on the office printer.", "use a printer"),
        ("Post this photo to my Instagram.", "post to social media"),
        ("Add a meeting with Sam to my calendar for Friday.", "edit your calendar"),
        ("Email the report to my manager.", "send email"),
        ("Buy two tickets for the concert on Saturday.", "buy tickets"),
        ("Lock the front door of my house.", "control smart locks"),
        ("Take a screenshot of my screen.", "take screenshots"),
        ("Turn the thermostat up to 22 degrees.", "control your thermostat"),
    ],
    "zh": [
        ("帮我订今晚七点两个人的意大利餐厅。", "预订餐厅"),
        ("给我妈妈发条短信，说我会晚点到。", "发送短信"),
        ("把客厅的灯关掉。", "控制家里的灯"),
        ("帮我点一份大号的披萨外卖。", "点外卖"),
        ("设一个明天早上6点半的闹钟。", "设置闹钟"),
        ("放点轻松的爵士乐。", "播放音乐"),
        ("给小王的银行账户转200块钱。", "转账"),
        ("帮我叫一辆去机场的出租车。", "叫车"),
        ("用办公室的打印机打印这份文件。", "使用打印机"),
        ("把这张照片发到我的朋友圈。", "发布社交动态"),
        ("在我的日历上加一个周五和小李的会议。", "修改日历"),
        ("把这份报告发邮件给我的经理。", "发送邮件"),
        ("帮我买两张周六音乐会的票。", "购票"),
        ("把我家的前门锁上。", "控制智能门锁"),
        ("帮我截个屏。", "截屏"),
        ("把空调调到22度。", "控制空调"),
    ],
}
UNSERVED_ANSWERS = {
    "en": "Sorry, I can't {action}: none of the tools I have ({tools}) can do that. You could do it in an app made for it.",
    "zh": "抱歉，我无法{action}：我现有的工具（{tools}）都做不到这件事。你可以用专门的应用来完成。",
}


# ---- media: files the user attaches, speech the user asks for ----------------------------------------
# The banks of these kinds live in the split modules only (train_phrasings.py and compose_media.py,
# val_phrasings.py, test_phrasings.py): nothing of them is here, so the legacy split never has any.
@dataclass(frozen=True)
class Picture:
    """An image the user attaches (`file`, as the workspace names it) and the lines OCR reads in it.

    `thing` is what a request calls it ("receipt", "小票"); a correct answer quotes every one of `keys`.
    """

    file: str
    thing: str
    lines: tuple[str, ...]
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Recording:
    """An audio file the user attaches and what speech recognition hears in it.

    `language` is the one spoken ("en" or "zh", as Whisper detects it), whatever the request's.
    """

    file: str
    thing: str
    language: str
    transcript: str
    keys: tuple[str, ...]


OCR_ANSWERS = {"en": "Here is the text on the {thing}:\n{text}", "zh": "{thing}上的文字如下：\n{text}"}
TRANSCRIPT_ANSWERS = {"en": "Here is what the {thing} says:\n{text}", "zh": "这段{thing}的内容是：\n{text}"}
SPEECH_ANSWERS = {"en": "Done: I read it aloud into {file}, which you can play from this conversation's files.",
                  "zh": "好了，已经用英文语音念出来了，音频文件是 {file}，可以在本对话的文件里播放。"}
"""Only an English voice is installed (tools/text_to_speech.py): a Chinese request asks for English text."""
