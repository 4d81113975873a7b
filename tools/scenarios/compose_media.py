"""Composed media banks for the TRAINING split only: images, recordings and texts to speak, by the hundred.

The media kinds (ocr, speech_to_text, text_to_speech) teach a model to copy: the attached file's
name into the call, the text the tool read or heard into the answer, the text to speak into the
call. A few dozen hand-written files would teach it those files instead, so training composes its
own from document and message templates filled from small tables (shops and prices, names and
phone numbers, dates, times, places), each with a file name as a phone, a scanner or the web UI
would give it (``IMG_20240312_0815.jpg``, ``New-Recording-12.m4a``, ``小票_0312.jpg``).

    composed_media("PICTURES", "en")   ->  [Picture, ...]
    composed_media("RECORDINGS", "zh") ->  [Recording, ...]
    composed_media("SPEECH_TEXTS")     ->  [str, ...]   (English: the one installed voice)

Nothing composed here may be a held-out file or text: an entry whose file name, any line, its
transcript or its text is one of `val_phrasings.py` or `test_phrasings.py` is dropped (`_held_out`);
`tests/test_media_scenarios.py` checks the result. Deterministic (fixed seeds), built lazily, cached.
"""
from __future__ import annotations

import random
import string
from functools import lru_cache
from typing import Any, Callable

from tools.scenarios.phrasings import Picture, Recording

LANGUAGES = ("en", "zh")
MEDIA_BANKS = ("PICTURES", "RECORDINGS", "SPEECH_TEXTS")
VARIANTS = 24
"""Entries drawn from each document or message template."""

Template = tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]
"""(thing, file stems, line templates with {slots}, slots whose values an answer must quote)."""


def composed_media(name: str, language: str | None = None) -> list:
    """The composed entries of media bank `name` ([] for any other bank)."""
    if name == "SPEECH_TEXTS":
        return list(_speech_texts())
    if name in ("PICTURES", "RECORDINGS") and language in LANGUAGES:
        return list(_bank(name, language))
    return []


# ---- slot values -------------------------------------------------------------------------------------
def _digits(count: int) -> Callable[[random.Random], str]:
    return lambda rng: "".join(rng.choice(string.digits) for _ in range(count))


def _money(low: int, high: int) -> Callable[[random.Random], str]:
    return lambda rng: f"{rng.randint(low, high)}.{rng.choice(['00', '50', '20', '75', '95', '40'])}"


_EN_SLOTS: dict[str, Any] = {
    "name": ["Oliver Grant", "Sofia Alvarez", "Liam Chen", "Hannah Weiss", "Noah Patel", "Grace Okafor", "Ethan Brooks",
             "Chloe Martin", "Lucas Novak", "Amara Singh", "Isaac Moreau", "Zoe Lindqvist"],
    "first": ["Jonas", "Leila", "Marcus", "Nadia", "Tom", "Yuki", "Farah", "Ben", "Clara", "Omar", "Ines", "Paul"],
    "city": ["Leeds", "Lyon", "Porto", "Dublin", "Oslo", "Bristol", "Ghent", "Bologna", "Krakow", "Utrecht", "Seville"],
    "day": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
    "date": lambda rng: f"{rng.randint(1, 28)} {rng.choice(['Jan', 'Feb', 'March', 'April', 'May', 'July', 'Aug', 'Oct', 'Nov'])}",
    "time": lambda rng: f"{rng.randint(6, 21):02d}:{rng.choice(['00', '15', '30', '45', '10', '50'])}",
    "h1": lambda rng: str(rng.randint(6, 10)), "h2": lambda rng: str(rng.randint(11, 12)),
    "h3": lambda rng: str(rng.randint(17, 20)), "n": lambda rng: str(rng.randint(2, 14)),
    "phone": lambda rng: f"0{rng.randint(20, 79)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
    "code": lambda rng: f"{rng.choice(['E', 'ERR-', '0x'])}{rng.randint(1000, 99999)}",
    "amount": _money(40, 4000), "price": _money(3, 29), "price2": _money(3, 29), "price3": _money(3, 29),
    "cur": ["EUR", "USD", "GBP"], "inv": _digits(5), "seat": lambda rng: f"{rng.randint(1, 40)}{rng.choice('ABCDF')}",
    "coach": lambda rng: str(rng.randint(1, 12)), "dose": ["200", "250", "400", "500"], "k": ["one tablet", "two tablets", "one capsule"],
    "role": ["Project Manager", "Data Analyst", "Sales Director", "UX Designer", "Head of Finance", "Site Engineer"],
    "company": ["Brightline Labs", "Keller & Sons", "Nordvik Energy", "Pinewood Media", "Atlas Freight", "Tidewater Legal"],
    "drug": ["Ibuprofen", "Paracetamol", "Cetirizine", "Omeprazole", "Loratadine"],
    "freq": ["twice a day", "every eight hours", "once a day with food", "at bedtime"],
    "warning": ["Do not exceed the stated dose", "May cause drowsiness", "Keep out of reach of children"],
    "app": ["Photos", "Mail", "Calendar", "Maps", "Music", "Backup"],
    "advice": ["Check your connection and try again.", "Restart the app.", "Contact support if this continues."],
    "event": ["Summer Book Swap", "Community Clean-up Day", "Jazz in the Park", "Charity Fun Run", "Board Game Night",
              "Farmers' Market", "Salsa for Beginners", "Repair Cafe"],
    "venue": ["St Anne's Hall", "Riverside Park", "the Old Library", "Unit 4, Mill Yard", "Market Square"],
    "network": lambda rng: f"{rng.choice(['HomeNet', 'Office', 'Cabin', 'Studio'])}_{rng.randint(10, 99)}",
    "password": lambda rng: f"{rng.choice(['blue', 'maple', 'river', 'stone', 'sunny'])}{rng.randint(100, 9999)}",
    "dish": ["Tomato soup", "Chicken pie", "Mushroom risotto", "Fish and chips", "Caesar salad", "Apple crumble"],
    "dish2": ["Veggie burger", "Lamb stew", "Pad thai", "Cheese toastie", "Chocolate brownie"],
    "meeting": ["Launch checklist", "Sprint planning", "Budget review", "Office move", "Hiring plan"],
    "task": ["renew the passport", "book the dentist", "send the invoice", "fix the bike light", "return the library books",
             "order a birthday cake", "call the landlord", "back up the laptop", "pay the water bill"],
    "task2": ["buy stamps", "water the plants", "charge the camera", "print the tickets", "feed the fish"],
    "business": ["Greenway Motors", "Bloom Florists", "Apex Plumbing", "the Sunnyside surgery", "Parcel Express"],
    "call": ["Greenway Motors. Your car has passed its service", "Bloom Florists. The wedding flowers are ready to collect",
             "Apex Plumbing. We can come round on Thursday morning to fix the leak",
             "the Sunnyside surgery. We need to move your appointment to the afternoon",
             "Parcel Express. We tried to deliver a parcel, but nobody was home"],
    "project": ["the website redesign", "the mobile app", "the warehouse move", "the spring catalogue"],
    "status": ["two days behind", "on track", "waiting for legal sign-off", "ready for testing"],
    "fact": ["Water expands when it freezes, which is why ice floats.", "The heart pumps blood through two circuits, "
             "one to the lungs and one to the rest of the body.", "Volcanic islands form where magma rises through the "
             "ocean floor.", "Supply and demand together set the price of most goods.", "Sound travels faster in water "
             "than in air.", "Bees communicate the direction of flowers with a waggle dance."],
    "item": ["milk", "eggs", "lemons", "coffee beans", "toothpaste", "bin bags", "carrots", "yoghurt", "bread"],
    "item2": ["tomatoes", "washing powder", "oats", "frozen peas", "butter", "garlic", "kitchen roll"],
    "item3": ["rice", "apples", "cheese", "tea", "onions", "pasta"],
    "place": ["window", "stage", "back door", "bar", "front row"],
    "job": ["nurse", "carpenter", "bus driver", "chef", "teacher", "park ranger"],
    "year": lambda rng: str(rng.randint(1995, 2021)),
}

_ZH_SLOTS: dict[str, Any] = {
    "zname": ["王志强", "李佳怡", "张伟明", "刘思雨", "赵一鸣", "孙晓雯", "何嘉豪", "林若曦", "黄子轩", "郭美玲"],
    "surname": ["王", "李", "张", "刘", "赵", "孙", "吴"],
    "zcity": ["北京", "成都", "武汉", "西安", "苏州", "长沙", "青岛", "厦门", "昆明", "南宁"],
    "zcity2": ["天津", "重庆", "郑州", "合肥", "宁波", "济南", "福州", "贵阳"],
    "zday": ["一", "二", "三", "四", "五", "六"],
    "zdate": lambda rng: f"{rng.randint(1, 12)}月{rng.randint(1, 28)}日",
    "ztime": ["上午九点", "上午十点", "中午十二点", "下午两点", "下午三点", "下午四点半", "晚上七点", "晚上八点"],
    "hhmm": lambda rng: f"{rng.randint(6, 21):02d}:{rng.choice(['05', '18', '30', '42', '55'])}",
    "h1": lambda rng: str(rng.randint(7, 10)), "h2": lambda rng: str(rng.randint(15, 20)),
    "phone": lambda rng: f"1{rng.choice('3589')}{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
    "tracking": lambda rng: f"{rng.choice(['YT', 'ZT', 'JD'])}{rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
    "street": ["人民路", "建设路", "长江路", "和平街", "解放大道", "学府路"], "n": lambda rng: str(rng.randint(3, 299)),
    "company": ["恒达科技", "顺安建材", "博远教育", "新禾食品", "天成设计", "嘉华医疗"],
    "zrole": ["市场总监", "项目经理", "财务主管", "技术顾问", "采购专员"],
    "zdrug": ["阿莫西林胶囊", "维生素C片", "氯雷他定片", "蒙脱石散", "板蓝根颗粒"],
    "k": ["1", "2"], "k2": ["2", "3"], "zwarn": ["孕妇慎用", "服药期间忌酒", "请放在儿童接触不到的地方"],
    "zplace": ["超市", "银行", "医院", "学校开会", "健身房"], "znote": ["钥匙在鞋柜上", "记得收衣服", "猫已经喂过了"],
    "zevent": ["社区义卖会", "亲子运动会", "书法体验课", "周末电影夜", "二手书集市", "夏日音乐节"],
    "zvenue": ["社区活动中心", "文化广场", "青少年宫二楼", "体育馆东门"],
    "zerror": ["网络连接超时", "支付未完成", "文件上传失败", "账号已在别处登录"],
    "zadvice": ["请稍后再试", "请重新登录", "请联系客服"], "code": lambda rng: f"{rng.choice('EWC')}{rng.randint(100, 9999)}",
    "train": lambda rng: f"{rng.choice('GDK')}{rng.randint(100, 9999)}", "coach": lambda rng: f"{rng.randint(1, 16):02d}",
    "seat": lambda rng: f"{rng.randint(1, 18):02d}{rng.choice('ABCDF')}",
    "zdish": ["宫保鸡丁", "鱼香肉丝", "麻婆豆腐", "番茄炒蛋", "酸菜鱼", "回锅肉"], "zdish2": ["米饭", "凉拌黄瓜", "紫菜蛋花汤", "葱油饼"],
    "p1": lambda rng: str(rng.randint(18, 68)), "p2": lambda rng: str(rng.randint(2, 16)),
    "zsub1": ["数学", "英语", "物理", "历史"], "zsub2": ["化学", "地理", "美术", "音乐"], "zsub3": ["生物", "政治", "信息技术"],
    "zmeeting": ["新品发布准备", "季度预算", "办公室搬迁", "招聘计划"],
    "ztask1": ["确认场地", "更新报价单", "整理客户名单", "联系供应商"], "ztask2": ["准备演示文稿", "预订机票", "提交报销单"],
    "network": lambda rng: f"{rng.choice(['Home', 'TP-LINK', 'ChinaNet', 'Office'])}_{rng.randint(100, 999)}",
    "password": lambda rng: f"{rng.choice(['abc', 'hello', 'jia', 'xyz'])}{rng.randint(10000, 99999)}",
    "shop": ["联华超市", "物美便利店", "永辉超市", "好邻居便利店", "华润万家"],
    "ztask": ["把快递取回来", "给车加油", "交电话费", "预约体检", "给奶奶打电话", "还图书馆的书"],
    "ztask2": ["买一袋大米", "给花浇水", "把垃圾带下楼", "订周末的火车票"],
    "zcall": ["家电维修的{surname}师傅，您的冰箱配件到了，明天上门安装", "燃气公司的小{surname}，下午三点来检查燃气管道",
              "洗衣店的{surname}阿姨，您的衣服已经洗好了，可以来取了", "驾校的{surname}教练，周六上午的练车改到下午了",
              "小区物业的{surname}经理，这周五晚上停水检修"],
    "zproject": ["会员系统", "新版官网", "小程序", "库存系统"],
    "zfact": ["光在真空中传播不需要介质，而声音需要。", "植物通过根从土壤中吸收水分和矿物质。",
              "地球自转一周大约是二十四小时，公转一周大约是三百六十五天。", "人体内的红细胞负责把氧气运送到全身。",
              "长江是中国最长的河流，全长约六千三百公里。"],
    "late": ["十", "二十", "四十"], "zdo": ["点菜", "开始", "进去坐"],
    "zjob": ["外卖骑手", "幼儿园老师", "厨师", "公交司机", "护士"], "zyears": ["三", "五", "八", "十二"],
    "zgood": ["认识了很多朋友", "能照顾好家里", "每天都在学新东西"],
}


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def _draw(templates: tuple[str, ...], slots: dict[str, Any], rng: random.Random) -> dict[str, str]:
    """A value for every slot the templates use (a value may have slots of its own: they are filled too)."""
    names = {field for template in templates for _, field, _, _ in string.Formatter().parse(template) if field}
    values = {}
    for name in sorted(names):
        source = slots[name]
        values[name] = source(rng) if callable(source) else rng.choice(source)
    for name, value in list(values.items()):
        if "{" in value:
            inner = _draw((value,), slots, rng)
            values = {**inner, **values, name: _fill(value, inner)}
    return values


# ---- file names, as a phone, a scanner or the web UI gives them ----------------------------------------
IMAGE_SUFFIXES = (".jpg", ".png", ".jpeg", ".webp")
AUDIO_SUFFIXES = (".m4a", ".mp3", ".wav", ".ogg", ".webm", ".flac")


def _file_name(stems: tuple[str, ...], suffixes: tuple[str, ...], rng: random.Random) -> str:
    """A workspace file name ([\\w.-] only, as `Workspace.new_file` makes it)."""
    stem, suffix = rng.choice(stems), rng.choice(suffixes)
    day = f"2024{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    form = rng.randrange(5)
    if form == 0:
        return f"{stem}{suffix}"
    if form == 1:
        return f"{stem}_{day[4:]}{suffix}"
    if form == 2:
        return f"{stem}-{rng.randint(2, 30)}{suffix}"
    if form == 3 and suffix in IMAGE_SUFFIXES:
        return f"IMG_{day}_{rng.randint(6, 23):02d}{rng.randint(0, 59):02d}{suffix}"
    if form == 3:
        return f"New-Recording-{rng.randint(2, 99)}{suffix}"
    return f"{stem}_{day}{suffix}"


# ---- templates -----------------------------------------------------------------------------------------
_EN_DOCUMENTS: list[Template] = [
    ("sign", ("sign", "photo"), ("NO PARKING", "Loading bay {h1}am-{h2}am"), ("h1",)),
    ("sign", ("sign", "shop_window"), ("CLOSED FOR RENOVATION", "Reopening on {date}", "Sorry for any inconvenience"),
     ("date",)),
    ("notice", ("notice", "door_notice"), ("Opening hours", "Mon-Fri {h1}:00-{h3}:00", "Sat {h1}:00-{h2}:00"), ("h3",)),
    ("sign", ("station_sign", "platform"), ("Platform {n}", "Trains to {city}", "Next departure {time}"), ("city", "time")),
    ("note", ("note", "sticky_note", "handwritten_note"), ("Call {first} back", "about {project}", "before {day}"),
     ("first", "day")),
    ("business card", ("business_card", "card", "contact"), ("{name}", "{role}, {company}", "Tel {phone}"),
     ("name", "phone")),
    ("label", ("label", "medicine", "pill_box"), ("{drug} {dose} mg", "Take {k} {freq}", "{warning}"),
     ("drug", "freq")),
    ("screenshot", ("Screenshot", "screen", "error"), ("{app} has stopped", "Error code {code}", "{advice}"), ("code",)),
    ("ticket", ("ticket", "train_ticket", "booking"), ("{city} to Paris", "Departs {time}", "Coach {coach} Seat {seat}"),
     ("time", "seat")),
    ("poster", ("poster", "flyer", "leaflet"), ("{event}", "{day} {date}, {time}", "{venue}"), ("event", "date")),
    ("card", ("wifi", "router_label", "guest_wifi"), ("Network: {network}", "Password: {password}"),
     ("network", "password")),
    ("menu", ("menu", "specials", "chalkboard"), ("Lunch menu", "{dish}  {price}", "{dish2}  {price2}"), ("dish", "price")),
    ("whiteboard", ("whiteboard", "board", "meeting_notes"), ("{meeting}", "1. {task}", "2. {task2}", "Due {date}"),
     ("task", "date")),
    ("invoice", ("invoice", "bill", "statement"), ("INVOICE {inv}", "Amount due: {amount} {cur}", "Due {date}"),
     ("amount", "date")),
]
_ZH_DOCUMENTS: list[Template] = [
    ("通知", ("通知", "停电通知", "公告"), ("停电通知", "{zdate} {h1}:00-{h2}:00 线路检修停电", "给您带来不便，敬请谅解"),
     ("zdate",)),
    ("名片", ("名片", "联系人"), ("{zname}", "{company} {zrole}", "手机 {phone}"), ("zname", "phone")),
    ("快递单", ("快递单", "面单"), ("收件人：{zname}", "地址：{zcity}{street}{n}号", "运单号 {tracking}"), ("zname", "tracking")),
    ("药品标签", ("药盒", "说明", "标签"), ("{zdrug}", "用法：一次{k}片，一日{k2}次", "{zwarn}"), ("zdrug", "k2")),
    ("便条", ("便条", "留言条"), ("我去{zplace}了，{ztime}回来", "{znote}"), ("zplace", "znote")),
    ("海报", ("海报", "活动海报", "宣传单"), ("{zevent}", "{zdate} {ztime}", "地点：{zvenue}"), ("zevent", "zdate")),
    ("截图", ("截图", "Screenshot", "手机截屏"), ("{zerror}", "错误代码 {code}", "{zadvice}"), ("code",)),
    ("车票", ("车票", "高铁票"), ("{train}次", "{zcity}站→{zcity2}站", "{hhmm}开", "{coach}车{seat}号"), ("train", "seat")),
    ("菜单", ("菜单", "价目表"), ("{zdish} {p1}元", "{zdish2} {p2}元"), ("zdish", "p1")),
    ("课程表", ("课程表", "课表"), ("周{zday}", "第1节 {zsub1}", "第2节 {zsub2}", "第3节 {zsub3}"), ("zsub1", "zsub2")),
    ("白板", ("白板", "会议记录"), ("{zmeeting}", "1. {ztask1}", "2. {ztask2}", "截止：{zdate}"), ("ztask1", "zdate")),
    ("卡片", ("wifi", "路由器"), ("无线网络：{network}", "密码：{password}"), ("network", "password")),
    ("标牌", ("标牌", "photo"), ("Platform {n}", "Trains to {city}"), ("city",)),  # English text, a Chinese request
]
_EN_MESSAGES: list[Template] = [
    ("voice memo", ("memo", "voice_memo", "reminder"), ("Remember to {task} before {day}, and don't forget to {task2}.",),
     ("task", "day")),
    ("voicemail", ("voicemail", "missed_call"), ("Hi, it's {first} from {call}. You can call me back on {phone}.",),
     ("first", "phone")),
    ("recording", ("meeting", "team_call", "standup"), ("Quick update: {project} is {status}, and the next review is on "
                                                        "{day}.",), ("status", "day")),
    ("lecture clip", ("lecture", "class", "lesson"), ("{fact}",), ("fact",)),
    ("voice note", ("list", "groceries", "shopping"), ("For the shop we need {item}, {item2} and some {item3}.",),
     ("item", "item2")),
    ("voice message", ("message", "voice_msg", "from_friend"), ("I'm about {n} minutes late, so start without me "
                                                                     "and save me a seat near the {place}.",),
     ("n", "place")),
    ("interview clip", ("interview", "podcast"), ("I started working as a {job} in {year}, and I still love it.",),
     ("job", "year")),
]
_ZH_MESSAGES: list[Template] = [
    ("语音备忘", ("备忘", "提醒", "录音"), ("记得{ztask}，还有{ztask2}。",), ("ztask", "ztask2")),
    ("语音留言", ("语音留言", "留言"), ("你好，我是{zcall}，有事打我电话{phone}。",), ("surname", "phone")),
    ("会议录音", ("会议录音", "周会"), ("{zproject}下周{zday}上线，测试组{ztime}前把报告发出来。",), ("zproject", "ztime")),
    ("课堂录音", ("课堂录音", "讲座"), ("{zfact}",), ("zfact",)),
    ("语音", ("语音", "微信语音"), ("我大概晚{late}分钟到，你们先{zdo}吧。",), ("late", "zdo")),
    ("采访录音", ("采访", "访谈"), ("我做{zjob}已经{zyears}年了，最大的收获是{zgood}。",), ("zjob", "zyears")),
    ("录音", ("recording", "voice"), ("Quick update: {project} is {status}, and the next review is on {day}.",),
     ("status", "day")),  # English speech, a Chinese request
]


def _language(text: str) -> str:
    return "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"


def _pictures(language: str) -> list[Picture]:
    rng = random.Random(f"media-pictures-{language}")
    documents, slots = (_EN_DOCUMENTS, _EN_SLOTS) if language == "en" else (_ZH_DOCUMENTS, {**_EN_SLOTS, **_ZH_SLOTS})
    out = [_receipt(language, rng) for _ in range(VARIANTS * 2)]
    for thing, stems, lines, keys in documents:
        for _ in range(VARIANTS):
            values = _draw(lines, slots, rng)
            out.append(Picture(_file_name(stems, IMAGE_SUFFIXES, rng), thing, tuple(_fill(line, values) for line in lines),
                               tuple(values[key] for key in keys)))
    return out


def _receipt(language: str, rng: random.Random) -> Picture:
    """A till receipt whose total is the sum of its lines."""
    if language == "en":
        shop = rng.choice(["FRESHWAY MARKET", "DAILY BREAD CO", "GREEN LEAF GROCERY", "CITY PHARMACY", "BEAN THERE CAFE",
                           "HILLTOP HARDWARE", "SUNRISE DELI", "PAGE ONE BOOKS", "QUICKSTOP"])
        goods = ["Coffee", "Croissant", "Apples 1kg", "Olive oil", "Batteries AA", "Notebook", "Shampoo", "Tea bags",
                 "Pasta 500g", "Cheddar", "Paint brush", "Sandwich"]
        row, stems, thing = "{item}  {price:.2f}", ("receipt", "till_receipt", "bill"), "receipt"
        total_line = "TOTAL  {total:.2f} " + rng.choice(["EUR", "USD", "GBP"])
    else:
        shop = rng.choice(_ZH_SLOTS["shop"])
        goods = ["矿泉水", "全麦面包", "酸奶", "苹果", "洗衣液", "卫生纸", "牙膏", "挂面", "食用油", "橙汁"]
        row, stems, thing = "{item}  ¥{price:.2f}", ("小票", "购物小票", "收据"), "小票"
        total_line = "应付 ¥{total:.2f}"
    items = rng.sample(goods, rng.randint(2, 3))
    prices = [rng.randint(150, 4500) / 100 for _ in items]
    total = f"{sum(prices):.2f}"
    lines = (shop, *(row.format(item=item, price=price) for item, price in zip(items, prices)), total_line.format(total=sum(prices)))
    return Picture(_file_name(stems, IMAGE_SUFFIXES, rng), thing, lines, (total, items[0]))


def _recordings(language: str) -> list[Recording]:
    rng = random.Random(f"media-recordings-{language}")
    messages = _EN_MESSAGES if language == "en" else _ZH_MESSAGES
    slots = _EN_SLOTS if language == "en" else {**_EN_SLOTS, **_ZH_SLOTS}
    out = []
    for thing, stems, (template,), keys in messages:
        for _ in range(VARIANTS * 2):
            values = _draw((template,), slots, rng)
            transcript = _fill(template, values)
            out.append(Recording(_file_name(stems, AUDIO_SUFFIXES, rng), thing, _language(transcript), transcript,
                                 tuple(values[key] for key in keys)))
    return out


_SPEECH_TEMPLATES = (
    "The train to {city} will leave from platform {n} at {time}.", "Good morning, everyone, and welcome to the {event}.",
    "Please remember to {task} before {day}.", "Could you tell me where the nearest {shopname} is?",
    "I'd like to book a table for {n} at {time}, please.", "Thank you for calling {business}; we will be with you shortly.",
    "{first}, your order is ready at the counter.", "Don't forget your {item} when you leave.",
    "Tomorrow will be {weather}, with a high of {n} degrees.", "Dear {first}, thank you so much for the lovely {gift}.",
    "Attention please: the {event} has moved to {venue}.", "My name is {first} and I work as a {job}.",
)
_SPEECH_SLOTS = {**_EN_SLOTS, "shopname": ["post office", "cash machine", "bus stop", "chemist", "supermarket"],
                 "weather": ["sunny", "cloudy", "windy", "rainy in the morning"],
                 "gift": ["flowers", "scarf", "book", "card", "cake"]}
_PRACTICE = (
    "Actions speak louder than words.", "Better late than never.", "Every cloud has a silver lining.",
    "Could you speak a little more slowly, please?", "Excuse me, is this seat taken?", "How much does this cost?",
    "I'm looking forward to meeting you.", "It's a pleasure to work with you.", "Where can I buy a ticket?",
    "Would you mind opening the window?", "Nice to meet you, I'm new here.", "Let me think about it and get back to you.",
    "Peter Piper picked a peck of pickled peppers.", "The early bird catches the worm.", "Two heads are better than one.",
    "I'm afraid I have to cancel our appointment.", "What time does the shop open on Sundays?",
)


@lru_cache(maxsize=1)
def _speech_texts() -> tuple[str, ...]:
    rng = random.Random("media-speech")
    texts = list(_PRACTICE)
    for template in _SPEECH_TEMPLATES:
        texts += [_fill(template, _draw((template,), _SPEECH_SLOTS, rng)) for _ in range(VARIANTS * 2)]
    held = _held_out()
    return tuple(dict.fromkeys(text for text in texts if text not in held))


# ---- the guard: no held-out file or text ---------------------------------------------------------------
@lru_cache(maxsize=1)
def _held_out() -> frozenset[str]:
    """File names, lines, transcripts and texts to speak of the validation and test splits."""
    from tools.scenarios import test_phrasings as X
    from tools.scenarios import val_phrasings as V

    found: set[str] = set()
    for module in (V, X):
        for pictures in module.PICTURES.values():
            found |= {text for picture in pictures for text in (picture.file, *picture.lines)}
        for recordings in module.RECORDINGS.values():
            found |= {text for recording in recordings for text in (recording.file, recording.transcript)}
        found |= set(module.SPEECH_TEXTS)
    return frozenset(found)


def _texts(entry: Picture | Recording) -> tuple[str, ...]:
    return (entry.file, *entry.lines) if isinstance(entry, Picture) else (entry.file, entry.transcript)


@lru_cache(maxsize=None)
def _bank(name: str, language: str) -> tuple:
    entries = _pictures(language) if name == "PICTURES" else _recordings(language)
    held = _held_out()
    kept = [entry for entry in entries if not any(text in held for text in _texts(entry))]
    return tuple({entry.file: entry for entry in kept}.values())  # one entry per file name
