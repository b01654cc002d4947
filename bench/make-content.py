#!/usr/bin/env python3
"""Writes a content directory for benchmarks: ARTICLES articles whose
English bodies are random words, so that bundles barely compress and their
size on the wire is predictable. Deterministic for a given seed."""
import json
import os
import random
import sys


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: make-content.py DIR ARTICLES SEED")
    directory, count, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyz"
    os.makedirs(directory, exist_ok=True)

    def words(n):
        return " ".join(
            "".join(rng.choice(alphabet) for _ in range(rng.randint(2, 9))) for _ in range(n))

    topics = [{"id": "bench", "position": 1, "title": {"my": "စမ်းသပ်", "en": "Bench"}}]
    articles = [{
        "id": f"article-{i}", "topic": "bench",
        "title": {"my": f"ဆောင်းပါး {i}", "en": f"Article {i}"},
        "summary": {"my": "အကျဉ်း", "en": words(12)},
        "body": {"my": "စာကိုယ်", "en": words(600)},
        "updated": "2026-11-01", "sample": True,
    } for i in range(count)]
    contacts = [{
        "id": "hotline", "kind": "hotline", "country": "TH",
        "name": {"my": "ဖုန်း", "en": "Hotline"}, "phones": ["1506"], "sample": True,
    }]
    agencies = [{
        "id": "agency-1", "name": {"en": "Bench Agency"}, "licence_number": "B-1",
        "status": "licensed", "status_since": "2025-01-01", "destinations": ["TH"],
        "sample": True,
    }]
    for name, records in [("topics", topics), ("articles", articles),
                          ("contacts", contacts), ("agencies", agencies)]:
        with open(os.path.join(directory, f"{name}.json"), "w", encoding="utf-8") as out:
            json.dump(records, out, ensure_ascii=False)


if __name__ == "__main__":
    main()
