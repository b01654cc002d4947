#!/usr/bin/env python3
"""Extracts the vocabulary that bench/workload.py composes text from, out of
the sample content, and writes it as bench/vocabulary.json.

Run once when the samples change; the benchmarks read the JSON file, so
their workload does not move when someone edits a sample.

    python3 bench/extract-vocabulary.py samples/content bench/vocabulary.json

What it keeps, with how often each item occurs in the samples (the weight
the generator draws with):

- `en`: English words of articles and contact notes, lower-cased unless
  they are capitalised in the middle of a sentence (names).
- `my`: Burmese words and short phrases: the runs between spaces and the
  Burmese comma and full stop (Burmese puts spaces between phrases, not
  words).
- `places`: township and city names in both languages, from the agencies
  whose address is given in both.
- `agency_names`: the parts the sample agency names are built from.
- `topics`: the sample topics.
"""
import collections
import json
import re
import sys

BURMESE = re.compile("[\u1000-\u109f]")
EN_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*[A-Za-z]|[A-Za-z]")


def english_words(text, counter):
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        for position, word in enumerate(EN_WORD.findall(sentence)):
            keep = word if position > 0 and word[0].isupper() else word.lower()
            counter[keep] += 1


def burmese_words(text, counter):
    for token in re.split(r"[\s၊။()]+", text):
        if token and BURMESE.search(token) and not re.search("[A-Za-z0-9]", token):
            counter[token] += 1


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: extract-vocabulary.py SAMPLES_DIR OUT.json")
    samples, out = sys.argv[1], sys.argv[2]
    load = lambda name: json.load(open(f"{samples}/{name}.json", encoding="utf-8"))
    articles, contacts, agencies, topics = (
        load("articles"), load("contacts"), load("agencies"), load("topics"))

    en, my = collections.Counter(), collections.Counter()
    texts = [a[f] for a in articles for f in ("title", "summary", "body")]
    texts += [c["notes"] for c in contacts if "notes" in c]
    for text in texts:
        english_words(text["en"], en)
        burmese_words(text["my"], my)

    places = set()
    for agency in agencies:
        address = agency.get("address", {})
        if "my" not in address:
            continue
        english = re.search(r"([A-Za-z ]+) Township, ([A-Za-z ]+)$", address["en"])
        burmese = re.search(r"(\S+)မြို့နယ်၊ (\S+)$", address["my"])
        if english and burmese:
            places.add((english[1].strip(), burmese[1], english[2].strip(), burmese[2]))

    first, middle, kinds = collections.Counter(), collections.Counter(), collections.Counter()
    for agency in agencies:
        words = agency["name"]["en"].replace(" Co., Ltd.", "").split()
        first[words[0]] += 1
        rest = words[1:]
        for kind in ("International Employment Services", "Overseas Employment Agency",
                     "Overseas Recruitment", "Human Resources", "Manpower Services",
                     "Workforce Agency"):
            if " ".join(rest).endswith(kind):
                kinds[kind] += 1
                rest = " ".join(rest)[: -len(kind)].split()
                break
        for word in rest:
            middle[word] += 1

    vocabulary = {
        "source": "samples/content, extracted by bench/extract-vocabulary.py",
        "en": sorted(en.items(), key=lambda item: (-item[1], item[0])),
        "my": sorted(my.items(), key=lambda item: (-item[1], item[0])),
        "places": sorted(places),
        "agency_names": {
            "first": sorted(first), "middle": sorted(middle), "kinds": sorted(kinds)},
        "topics": [{"id": t["id"], "title": t["title"]} for t in topics],
    }
    with open(out, "w", encoding="utf-8") as file:
        json.dump(vocabulary, file, ensure_ascii=False, indent=0)
        file.write("\n")


if __name__ == "__main__":
    main()
