"""Figures, each with the reference it was measured against in the same
run, printed as a Markdown table and written as JSON."""
import json


class Figure:
    """One measured value beside its reference.

    `better` says which way is good: "lower" when the value should be
    small (bytes, seconds), "higher" for rates. `target` is a ratio bound,
    or an absolute bound when `absolute` is set (the only wall-clock
    targets: status time and wake-ups)."""

    def __init__(self, key, measure, value, unit, reference_name, reference, *,
                 target=None, target_text=None, absolute=False, better="lower", note=None,
                 details=None):
        self.key = key
        self.measure = measure
        self.value = value
        self.unit = unit
        self.reference_name = reference_name
        self.reference = reference
        self.ratio = value / reference if reference else None
        self.target = target
        self.absolute = absolute
        self.better = better
        self.target_text = target_text
        self.note = note
        self.details = details or {}

    @property
    def passed(self):
        if self.target is None:
            return None
        subject = self.value if self.absolute else self.ratio
        if subject is None:
            return False
        return subject <= self.target if self.better == "lower" else subject >= self.target

    def as_json(self):
        return {
            "key": self.key, "measure": self.measure, "value": self.value, "unit": self.unit,
            "reference": {"name": self.reference_name, "value": self.reference},
            "ratio": self.ratio,
            "target": None if self.target is None else {
                "text": self.target_text, "bound": self.target,
                "applies_to": "value" if self.absolute else "ratio", "better": self.better},
            "passed": self.passed, "note": self.note, "details": self.details,
        }


def show(value, unit):
    if value is None:
        return "–"
    if unit == "bytes":
        return f"{value:,.0f} B"
    if unit == "s":
        return f"{value * 1000:,.1f} ms" if value < 1 else f"{value:,.2f} s"
    if unit == "kB":
        return f"{value / 1024:,.1f} MiB"
    if unit == "per_s":
        return f"{value:,.1f} /s"
    if unit == "per_min":
        return f"{value:,.1f} /min"
    if unit == "rows":
        return f"{value:,.0f} rows"
    return f"{value:,.3f} {unit}"


def table(figures):
    lines = ["| figure | value | reference (same run) | ratio | target | result |",
             "| --- | --- | --- | --- | --- | --- |"]
    for f in figures:
        ratio = "–" if f.ratio is None else f"{f.ratio:.3f}"
        result = {None: "", True: "pass", False: "**FAIL**"}[f.passed]
        reference = ("–" if f.reference is None
                     else f"{f.reference_name}: {show(f.reference, f.unit)}")
        lines.append(
            f"| {f.measure} | {show(f.value, f.unit)} | {reference} | {ratio} | "
            f"{f.target_text or ''} | {result} |")
    return "\n".join(lines)


def verdicts(figures):
    lines = []
    for f in figures:
        if f.passed is None:
            continue
        subject = (f"{show(f.value, f.unit)}" if f.absolute else f"ratio {f.ratio:.3f}")
        lines.append(f"{'PASS' if f.passed else 'FAIL'}  {f.measure}: {subject} "
                     f"(target {f.target_text})")
    return "\n".join(lines)


def write_json(path, run, figures):
    with open(path, "w", encoding="utf-8") as out:
        json.dump({"run": run, "figures": [f.as_json() for f in figures]}, out, indent=1,
                  ensure_ascii=False)
        out.write("\n")


def load(path):
    """The figures of a JSON file written by write_json."""
    with open(path, encoding="utf-8") as file:
        data = json.load(file)
    figures = []
    for item in data["figures"]:
        target = item["target"] or {}
        figures.append(Figure(
            item["key"], item["measure"], item["value"], item["unit"],
            item["reference"]["name"], item["reference"]["value"],
            target=target.get("bound"), target_text=target.get("text"),
            absolute=target.get("applies_to") == "value", better=target.get("better", "lower"),
            note=item["note"], details=item["details"]))
    return data["run"], figures


if __name__ == "__main__":
    # Prints the table and the verdicts of a results file again, e.g. for
    # docs/performance.md: python3 bench/lib/report.py bench/results/latest.json
    import sys
    _, loaded = load(sys.argv[1])
    print(table(loaded))
    print()
    print(verdicts(loaded))
