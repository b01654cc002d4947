#!/usr/bin/env python3
"""Deterministic benchmark content in the format of docs/content-format.md.

    workload.py base DIR [--articles N] [--contacts N] [--agencies N] [--seed S]
    workload.py next BASE_DIR NEW_DIR [--seed S] [--modify F] [--add F]
                     [--delete F] [--rewrite] [--pool N] [--rows N]

`base` writes a content directory: topics, articles with Burmese and
English title, summary and body, contacts and agencies, all `sample: true`.
Record number i of each kind depends only on the seed, the kind and i, never
on how many records are made, so the first 2,000 articles of a 20,000-article
set are exactly a 2,000-article set: a smaller set is a prefix of a larger
one, and the same change can be made to both.

`next` reads a content directory and writes the next release of it:

- `--modify F`, `--add F`, `--delete F`: that share of the records of each
  kind (topics excepted) is edited, added or removed. An edit is what an
  editor does: a new `updated` date and one rewritten paragraph, a summary
  or title, an agency's licence status, a contact's phone numbers.
- `--rewrite`: an edit rewrites every text of the record in both languages
  (a re-translation), for releases that change many rows.
- `--rows N`: instead of shares, edit exactly N/2 articles, each changing
  two rows (`article.updated_on` and the English body), chosen among the
  first `--pool` articles: the same change for any set of at least that
  many articles.

Text is composed from real words: bench/vocabulary.json holds the English
words and the Burmese words and phrases of samples/content, with how often
each occurs, and sentences draw from them with those weights. The result
reads like the samples cut up and reshuffled; it compresses about as well
as real text of that vocabulary, a little better than a large real corpus
would (its vocabulary is small).
"""
import argparse
import bisect
import itertools
import json
import os
import random
import re

HERE = os.path.dirname(os.path.abspath(__file__))
KINDS = ("articles", "contacts", "agencies")
BURMESE_DIGITS = str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉")
DESTINATIONS = [("TH", 111), ("MY", 66), ("SG", 57), ("JP", 48), ("KR", 22), ("JO", 13),
                ("MO", 12), ("HK", 9), ("AE", 6), ("QA", 4)]
CONTACT_KINDS = [("support-organisation", 10), ("labour-exchange-office", 9),
                 ("hotline", 9), ("embassy", 5), ("ministry", 4)]
CONTACT_COUNTRIES = [("MM", 13), ("TH", 8), ("MY", 5), ("KR", 5), ("SG", 4), ("JP", 2)]
STATUSES = [("licensed", 170), ("suspended", 25), ("revoked", 17)]
RELEASE_DATE = "2026-12-01"


class Weighted:
    """Draws items with the weights they were given."""

    def __init__(self, pairs):
        self.items = [item for item, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))

    def draw(self, rng, count=1):
        return rng.choices(self.items, cum_weights=self.cumulative, k=count)

    def one(self, rng):
        return self.draw(rng)[0]


class Vocabulary:
    def __init__(self, path=os.path.join(HERE, "vocabulary.json")):
        with open(path, encoding="utf-8") as file:
            data = json.load(file)
        self.en = Weighted(data["en"])
        self.my = Weighted(data["my"])
        self.places = data["places"]
        self.agency_names = data["agency_names"]
        self.topics = data["topics"]

    def en_sentence(self, rng, low=8, high=18):
        words = self.en.draw(rng, rng.randint(low, high))
        if len(words) > 6 and rng.random() < 0.3:
            words[rng.randint(2, len(words) - 3)] += ","
        words[0] = words[0][0].upper() + words[0][1:]
        return " ".join(words) + "."

    def my_sentence(self, rng, low=5, high=11):
        words = self.my.draw(rng, rng.randint(low, high))
        if len(words) > 4 and rng.random() < 0.4:
            words[rng.randint(1, len(words) - 3)] += "၊"
        return " ".join(words) + "။"

    def en_title(self, rng):
        words = self.en.draw(rng, rng.randint(4, 8))
        return words[0][0].upper() + " ".join(words)[1:]

    def my_title(self, rng):
        return " ".join(self.my.draw(rng, rng.randint(2, 5)))

    def paragraphs(self, rng, sentence, count, per_paragraph=(2, 4)):
        return "\n\n".join(
            " ".join(sentence(rng) for _ in range(rng.randint(*per_paragraph)))
            for _ in range(count))


def slug(text, limit=40):
    words = re.findall(r"[a-z0-9]+", text.lower())
    out = ""
    for word in words:
        if len(out) + len(word) + 1 > limit:
            break
        out = f"{out}-{word}" if out else word
    return out or "record"


def date(rng, start_year=2019, end_year=2026):
    year = rng.randint(start_year, end_year)
    month = rng.randint(1, 11 if year == 2026 else 12)
    return f"{year}-{month:02d}-{rng.randint(1, 28):02d}"


def phone(rng, country):
    digits = lambda n: "".join(str(rng.randint(0, 9)) for _ in range(n))
    prefix = {"MM": "+95 9", "TH": "+66 2", "MY": "+60 3", "KR": "+82 2", "SG": "+65 6",
              "JP": "+81 3"}.get(country, "+95 1")
    return f"{prefix} {digits(3)} {digits(4)}"


class Generator:
    def __init__(self, seed, vocabulary=None):
        self.seed = seed
        self.words = vocabulary or Vocabulary()

    def rng(self, kind, index, purpose="record"):
        return random.Random(f"{self.seed}/{kind}/{index}/{purpose}")

    def topics(self):
        topics = []
        for position, topic in enumerate(self.words.topics, start=1):
            topics.append({"id": topic["id"], "position": position, "title": topic["title"]})
        return topics

    # Articles -----------------------------------------------------------

    def article(self, index):
        rng = self.rng("article", index)
        w = self.words
        title = {"my": w.my_title(rng), "en": w.en_title(rng)}
        record = {
            "id": f"{slug(title['en'])}-{index}",
            "topic": rng.choice(self.words.topics)["id"],
            "title": title,
            "summary": self.article_summary(rng),
            "body": {"my": self.my_body(rng), "en": self.en_body(rng)},
            "updated": date(rng, 2023),
            "sample": True,
        }
        return record

    def article_summary(self, rng):
        count = rng.randint(1, 2)
        w = self.words
        return {"my": " ".join(w.my_sentence(rng) for _ in range(count)),
                "en": " ".join(w.en_sentence(rng) for _ in range(count))}

    def en_body(self, rng):
        return self.words.paragraphs(rng, self.words.en_sentence, rng.randint(2, 4))

    def my_body(self, rng):
        return self.words.paragraphs(rng, self.words.my_sentence, rng.randint(2, 4))

    def en_paragraph(self, rng):
        return self.words.paragraphs(rng, self.words.en_sentence, 1)

    def my_paragraph(self, rng):
        return self.words.paragraphs(rng, self.words.my_sentence, 1)

    # Contacts -----------------------------------------------------------

    def contact(self, index):
        rng = self.rng("contact", index)
        w = self.words
        kind = Weighted(CONTACT_KINDS).one(rng)
        country = Weighted(CONTACT_COUNTRIES).one(rng)
        township, township_my, city, city_my = rng.choice(w.places)
        name_en = {
            "support-organisation": f"{w.en_title(rng)} support group",
            "labour-exchange-office": f"Labour Exchange Office, {township}",
            "hotline": f"{w.en_title(rng)} hotline",
            "embassy": f"Embassy of Myanmar, office {index}",
            "ministry": f"Ministry of Labour, department {index}",
        }[kind]
        record = {
            "id": f"{country.lower()}-{kind}-{index}",
            "kind": kind,
            "country": country,
            "name": {"my": w.my_title(rng), "en": name_en},
        }
        if rng.random() < 0.6:
            number = rng.randint(1, 999)
            record["address"] = {
                "my": f"အမှတ် {str(number).translate(BURMESE_DIGITS)}၊ "
                      f"{township_my}မြို့နယ်၊ {city_my}",
                "en": f"No. {number}, {township} Township, {city}"}
        record["phones"] = [phone(rng, country) for _ in range(rng.choice([0, 1, 1, 1, 2, 3]))]
        if rng.random() < 0.1:
            record["email"] = f"office{index}@example.org"
        if rng.random() < 0.2:
            record["website"] = f"https://example.org/contact/{index}"
        if rng.random() < 0.2:
            record["hours"] = {"my": w.my_sentence(rng, 2, 4), "en": w.en_sentence(rng, 4, 8)}
        if rng.random() < 0.9:
            record["notes"] = self.notes(rng)
        record["sample"] = True
        return record

    def notes(self, rng):
        count = rng.randint(1, 2)
        w = self.words
        return {"my": " ".join(w.my_sentence(rng) for _ in range(count)),
                "en": " ".join(w.en_sentence(rng) for _ in range(count))}

    # Agencies -----------------------------------------------------------

    def agency(self, index):
        rng = self.rng("agency", index)
        w = self.words
        parts = w.agency_names
        words = [rng.choice(parts["first"])]
        if rng.random() < 0.4:
            words.append(rng.choice(parts["middle"]))
        words.append(rng.choice(parts["kinds"]))
        name_en = " ".join(words) + " Co., Ltd."
        record = {"id": f"{slug(name_en, 50)}-{index}", "name": {"en": name_en}}
        if rng.random() < 0.06:
            record["name"]["my"] = w.my_title(rng) + " ကုမ္ပဏီလီမိတက်"
        record["licence_number"] = f"MOL/OEA-{index % 1000:03d}/{rng.randint(2012, 2026)}"
        record["status"] = Weighted(STATUSES).one(rng)
        record["status_since"] = date(rng)
        record["destinations"] = self.destinations(rng)
        if rng.random() < 0.97:
            record["address"] = self.agency_address(rng, bilingual=rng.random() < 0.06)
        if rng.random() < 0.95:
            record["phone"] = phone(rng, "MM")
        record["sample"] = True
        return record

    def destinations(self, rng):
        count = Weighted([(0, 17), (1, 79), (2, 89), (3, 27)]).one(rng)
        chosen = []
        while len(chosen) < count:
            code = Weighted(DESTINATIONS).one(rng)
            if code not in chosen:
                chosen.append(code)
        return chosen

    def agency_address(self, rng, bilingual):
        township, township_my, city, city_my = rng.choice(self.words.places)
        number, street = rng.randint(1, 999), rng.randint(1, 99)
        address = {"en": f"No. {number}, Street ({street}), {township} Township, {city}"}
        if bilingual:
            address["my"] = (f"အမှတ် {str(number).translate(BURMESE_DIGITS)}၊ "
                             f"({str(street).translate(BURMESE_DIGITS)}) လမ်း၊ "
                             f"{township_my}မြို့နယ်၊ {city_my}")
        return address

    # Sets -----------------------------------------------------------------

    def make(self, kind, index):
        return {"articles": self.article, "contacts": self.contact,
                "agencies": self.agency}[kind](index)


def write_content(directory, content, meta):
    os.makedirs(directory, exist_ok=True)
    for name in ("topics",) + KINDS:
        with open(os.path.join(directory, f"{name}.json"), "w", encoding="utf-8") as out:
            json.dump(content[name], out, ensure_ascii=False, indent=0)
    # Other files are ignored by mrc-publish (content-format.md); this one
    # says how the directory was made, and lets `next` add records.
    with open(os.path.join(directory, "WORKLOAD.json"), "w", encoding="utf-8") as out:
        json.dump(meta, out, indent=1, sort_keys=True)


def read_content(directory):
    content = {}
    for name in ("topics",) + KINDS:
        with open(os.path.join(directory, f"{name}.json"), encoding="utf-8") as file:
            content[name] = json.load(file)
    with open(os.path.join(directory, "WORKLOAD.json"), encoding="utf-8") as file:
        meta = json.load(file)
    return content, meta


def base(args):
    generator = Generator(args.seed)
    counts = {"articles": args.articles, "contacts": args.contacts, "agencies": args.agencies}
    content = {"topics": generator.topics()}
    for kind in KINDS:
        content[kind] = [generator.make(kind, i) for i in range(counts[kind])]
    meta = {"seed": args.seed, "next_index": counts, "counts": counts, "history": []}
    write_content(args.dir, content, meta)


class Editor:
    """Makes the edits of one release, each from its own random stream."""

    def __init__(self, generator, seed, rewrite):
        self.generator = generator
        self.seed = seed
        self.rewrite = rewrite

    def rng(self, kind, record_id):
        return random.Random(f"{self.seed}/edit/{kind}/{record_id}")

    def edit(self, kind, record):
        rng = self.rng(kind, record["id"])
        {"articles": self.article, "contacts": self.contact,
         "agencies": self.agency}[kind](rng, record)

    def article(self, rng, record):
        g = self.generator
        record["updated"] = RELEASE_DATE if record["updated"] != RELEASE_DATE else "2026-12-02"
        if self.rewrite:
            record["title"] = {"my": g.words.my_title(rng), "en": g.words.en_title(rng)}
            record["summary"] = g.article_summary(rng)
            record["body"] = {"my": g.my_body(rng), "en": g.en_body(rng)}
            return
        choice = rng.random()
        if choice < 0.8:
            languages = ["my", "en"] if choice < 0.6 else [rng.choice(["my", "en"])]
            for lang in languages:
                paragraphs = record["body"][lang].split("\n\n")
                which = rng.randrange(len(paragraphs))
                paragraphs[which] = (g.my_paragraph(rng) if lang == "my"
                                     else g.en_paragraph(rng))
                record["body"][lang] = "\n\n".join(paragraphs)
        elif choice < 0.9:
            record["summary"] = g.article_summary(rng)
        else:
            record["title"] = {"my": g.words.my_title(rng), "en": g.words.en_title(rng)}
            record["summary"] = g.article_summary(rng)

    def contact(self, rng, record):
        g = self.generator
        if self.rewrite:
            record["name"] = {"my": g.words.my_title(rng), "en": record["name"]["en"] + " (new)"}
            record["notes"] = g.notes(rng)
            if "hours" in record:
                record["hours"] = {"my": g.words.my_sentence(rng, 2, 4),
                                   "en": g.words.en_sentence(rng, 4, 8)}
            return
        choice = rng.random()
        if choice < 0.5:
            record["phones"] = [phone(rng, record["country"])
                                for _ in range(rng.randint(1, 2))]
        elif choice < 0.8:
            record["notes"] = g.notes(rng)
        else:
            record["hours"] = {"my": g.words.my_sentence(rng, 2, 4),
                               "en": g.words.en_sentence(rng, 4, 8)}

    def agency(self, rng, record):
        g = self.generator
        if self.rewrite:
            record["name"]["en"] = record["name"]["en"].replace(" Co., Ltd.", " Company Limited")
            record["address"] = g.agency_address(rng, bilingual=True)
            return
        choice = rng.random()
        if choice < 0.6:
            others = [s for s, _ in STATUSES if s != record["status"]]
            record["status"] = rng.choice(others)
            record["status_since"] = RELEASE_DATE
        elif choice < 0.8:
            fresh = g.destinations(rng)
            if fresh == record["destinations"]:
                fresh = fresh + ["QA"] if "QA" not in fresh else fresh[:-1]
            record["destinations"] = fresh
        else:
            record["address"] = g.agency_address(rng, bilingual=rng.random() < 0.06)
            record["phone"] = phone(rng, "MM")


def next_release(args):
    content, meta = read_content(args.base)
    generator = Generator(meta["seed"])
    editor = Editor(generator, args.seed, args.rewrite)
    rng = random.Random(f"{args.seed}/choose")
    summary = {}
    if args.rows is not None:
        articles = content["articles"]
        pool = articles[: min(args.pool or len(articles), len(articles))]
        chosen = rng.sample(range(len(pool)), args.rows // 2)
        for position in sorted(chosen):
            record = pool[position]
            record["updated"] = RELEASE_DATE if record["updated"] != RELEASE_DATE else "2026-12-02"
            edit = editor.rng("articles", record["id"])
            record["body"]["en"] = generator.en_body(edit)
        summary["articles"] = {"modified": len(chosen), "added": 0, "deleted": 0}
    else:
        for kind in KINDS:
            records = content[kind]
            count = len(records)
            deleted = set(rng.sample(range(count), round(count * args.delete)))
            remaining = [i for i in range(count) if i not in deleted]
            modified = rng.sample(remaining, round(count * args.modify))
            for position in modified:
                editor.edit(kind, records[position])
            added = round(count * args.add)
            start = meta["next_index"][kind]
            new = [generator.make(kind, start + j) for j in range(added)]
            meta["next_index"][kind] = start + added
            content[kind] = [records[i] for i in remaining] + new
            summary[kind] = {"modified": len(modified), "added": added, "deleted": len(deleted)}
    meta["counts"] = {kind: len(content[kind]) for kind in KINDS}
    meta["history"].append({"seed": args.seed, "changes": summary})
    write_content(args.new, content, meta)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    make = commands.add_parser("base", help="write a content directory")
    make.add_argument("dir")
    make.add_argument("--articles", type=int, default=20000)
    make.add_argument("--contacts", type=int, default=5000)
    make.add_argument("--agencies", type=int, default=10000)
    make.add_argument("--seed", default="mrc-bench")
    change = commands.add_parser("next", help="write the next release of a directory")
    change.add_argument("base")
    change.add_argument("new")
    change.add_argument("--seed", default="release-2")
    change.add_argument("--modify", type=float, default=0.008)
    change.add_argument("--add", type=float, default=0.001)
    change.add_argument("--delete", type=float, default=0.001)
    change.add_argument("--rewrite", action="store_true")
    change.add_argument("--rows", type=int)
    change.add_argument("--pool", type=int)
    args = parser.parse_args()
    base(args) if args.command == "base" else next_release(args)


if __name__ == "__main__":
    main()
