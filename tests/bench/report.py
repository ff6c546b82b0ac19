#!/usr/bin/env python3
"""Turns the scenarios' JSON documents into the benchmark's report.

    report.py --output-dir bench [--keep previous-results.json] scenario-json...

Writes results.md (one table per scenario: figure, value, reference, ratio, target, met), results.json (every
document, with the machine it ran on) and, when the scale scenario is there and gnuplot is installed, two
PNG plots: resume-latency.png (the distribution of the loan-processor's resume latency) and completions.png
(executions started and SUCCEEDED over time). With --keep, the scenarios of an earlier results.json that the
given documents do not cover are reported as they were (a run of some scenarios only).
"""

import argparse
import json
import os
import platform
import shutil
import subprocess
import time


def load(paths):
    documents = []
    for path in paths:
        with open(path) as file:
            content = json.load(file)
        documents.extend(content if isinstance(content, list) else [content])
    return sorted(documents, key=lambda document: document["scenario"])


def kept_documents(path, documents):
    """The scenarios of the results.json at path that documents lack, and [{"scenarios", "date"}]: when each was
    run (a scenario that file kept from an earlier run keeps that run's date)."""
    with open(path) as file:
        previous = json.load(file)
    dates = {number: runs["date"] for runs in previous["machine"].get("kept", []) for number in runs["scenarios"]}
    covered = {document["scenario"] for document in documents}
    kept = [document for document in previous["scenarios"] if document["scenario"] not in covered]
    runs = {}
    for document in kept:
        runs.setdefault(dates.get(document["scenario"], previous["machine"]["date"]), []).append(document["scenario"])
    return kept, [{"scenarios": numbers, "date": date} for date, numbers in runs.items()]


def machine():
    cpus = os.cpu_count()
    model = ""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")), "")
    except OSError:
        pass
    redis = subprocess.run(["redis-server", "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpus": cpus, "cpu": model, "kernel": platform.release(), "redis": redis,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}


def number(value):
    if value is None:
        return "–"
    if isinstance(value, str):  # a yes/no figure
        return value
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    return f"{value:,}"


def verdict(figure):
    if figure["met"] is None:
        return ""
    return "met" if figure["met"] else "**missed**"


def comparison(documents, previous_path):
    """Lines of a section setting each figure of the scenarios run now beside the same figure of the run in
    previous_path (an earlier results.json, typically the committed one): what changed since, in one place."""
    with open(previous_path) as file:
        previous = json.load(file)
    earlier = {(document["scenario"], figure["figure"]): figure for document in previous["scenarios"]
               for figure in document["figures"]}
    rows = []
    for document in documents:
        for figure in document["figures"]:
            before = earlier.get((document["scenario"], figure["figure"]))
            if not before or not all(isinstance(f["value"], (int, float)) and not isinstance(f["value"], bool)
                                     for f in (before, figure)):
                continue
            ratio = figure["value"] / before["value"] if before["value"] else None
            rows.append(f"| {document['scenario']} | {figure['figure']} | {number(before['value'])} {before['unit']} | "
                        f"{number(figure['value'])} {figure['unit']} | {number(ratio)} |")
    if not rows:
        return []
    return [f"## Against the previous run ({previous['machine']['date']})", "",
            "The same figures in the run this report replaced (both on this shared machine, so a change of less than "
            "about 15 % in a rate or a latency can be noise; bytes and counts are exact).", "",
            "| Scenario | Figure | Previous run | This run | This ÷ previous |", "|---|---|---|---|---|"] + rows + [""]


def markdown(documents, host, previous_path=None):
    written = f"Written by `scripts/bench.sh` on {host['date']}"
    if host.get("kept"):
        written += " (" + "; ".join(f"scenario{'s' if len(runs['scenarios']) > 1 else ''} "
                                    f"{', '.join(str(number) for number in runs['scenarios'])} as run on {runs['date']}"
                                    for runs in host["kept"]) + ")"
    lines = ["# Benchmark results", "",
             f"{written}: {host['cpus']} CPUs ({host['cpu']}), "
             f"Linux {host['kernel']}, {host['redis']}. Every server, Redis, the load and any peer share these "
             "CPUs. Absolute figures move from run to run on a shared machine; the reference column is measured "
             "in the same run, and the ratio is value ÷ reference.", ""]
    if any(document.get("quick") for document in documents):
        lines += ["**A `--quick` smoke run: small loads, not the figures the targets are about.**", ""]
    missed = [(document, figure) for document in documents for figure in document["figures"] if figure["met"] is False]
    met = sum(1 for document in documents for figure in document["figures"] if figure["met"])
    lines += [f"Targets: {met} met, {len(missed)} missed (see each scenario's notes for what limits a missed one).", ""]
    for document in documents:
        lines += [f"## Scenario {document['scenario']}: {document['title']}", "",
                  "| Figure | Value | Reference | Ratio | Target | |", "|---|---|---|---|---|---|"]
        for figure in document["figures"]:
            reference = number(figure["reference"])
            if figure.get("reference_label"):
                reference += f" ({figure['reference_label']})"
            lines.append(f"| {figure['figure']} | {number(figure['value'])} {figure['unit']} | {reference} | "
                         f"{number(figure['ratio'])} | {figure['target'] or ''} | {verdict(figure)} |")
        limits = [f"- **{figure['figure']}**: {figure['limit']}" for figure in document["figures"] if figure.get("limit")]
        notes = [f"- {note}" for note in document["notes"]]
        if limits:
            lines += ["", "What limits the missed figures:", ""] + limits
        if notes:
            lines += ["", "Notes:", ""] + notes
        lines.append("")
    if previous_path:
        lines += comparison([document for document in documents if document["scenario"] not in host.get("kept_numbers", [])],
                            previous_path)
    if any("completions" in document["series"] for document in documents):
        lines += ["## Plots (scenario 1)", "", "![Resume latency](resume-latency.png)", "",
                  "![Completions over time](completions.png)", ""]
    return "\n".join(lines)


def plot(documents, output_dir):
    """Draws the scale scenario's plots with gnuplot; returns the files written."""
    scale = next((document for document in documents if "completions" in document["series"]), None)
    if not scale or not shutil.which("gnuplot"):
        return []
    buckets = scale["series"]["resume_latency_buckets"]
    latency_data = os.path.join(output_dir, ".resume-latency.dat")
    with open(latency_data, "w") as data:
        for lower, upper, count in buckets:
            data.write(f"{(lower + upper) / 2000:.4f} {max(upper - lower, 1) / 1000:.4f} {count}\n")
    timeline_data = os.path.join(output_dir, ".completions.dat")
    with open(timeline_data, "w") as data:
        starts, ends = scale["series"]["starts"], scale["series"]["completions"]
        for name, times in (("started", starts), ("succeeded", ends)):
            data.write(f"# {name}\n")
            for index, seconds in enumerate(times, 1):
                if index == 1 or index == len(times) or index % max(1, len(times) // 2000) == 0:
                    data.write(f"{seconds:.4f} {index}\n")
            data.write("\n\n")
    script = f"""
set terminal pngcairo size 900,500 font ",10"
set output '{os.path.join(output_dir, "resume-latency.png")}'
set title "Resume latency: callback read -> ExecutionSucceeded written ({sum(b[2] for b in buckets):,} callbacks)"
set xlabel "milliseconds (log scale)"
set ylabel "callbacks"
set logscale x
set style fill solid 0.6
set boxwidth 0.9 relative
plot '{latency_data}' using 1:3:2 with boxes title "count per histogram bucket"
unset logscale x
set output '{os.path.join(output_dir, "completions.png")}'
set title "Scenario 1: {len(scale['series']['completions']):,} loan applications, 6 s valuation delay"
set xlabel "seconds since the first StartExecution"
set ylabel "executions"
set key left top
set style fill empty
plot '{timeline_data}' index 0 using 1:2 with lines lw 2 title "started (StartExecution answered)", \\
     '' index 1 using 1:2 with lines lw 2 title "SUCCEEDED"
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)
    for path in (latency_data, timeline_data):
        os.remove(path)
    return ["resume-latency.png", "completions.png"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", required=True)
    parser.add_argument("--keep", help="an earlier results.json whose other scenarios are reported as they were")
    parser.add_argument("--previous", help="an earlier results.json whose figures this run's are set beside")
    parser.add_argument("documents", nargs="+")
    arguments = parser.parse_args()
    os.makedirs(arguments.output_dir, exist_ok=True)
    documents = load(arguments.documents)
    host = machine()
    if arguments.keep:
        kept, runs = kept_documents(arguments.keep, documents)
        if kept:
            documents = sorted(documents + kept, key=lambda document: document["scenario"])
            host["kept"] = runs
    kept_numbers = [number for runs in host.get("kept", []) for number in runs["scenarios"]]
    with open(os.path.join(arguments.output_dir, "results.json"), "w") as output:
        json.dump({"machine": host, "scenarios": documents}, output, indent=1)
    plots = plot(documents, arguments.output_dir)
    with open(os.path.join(arguments.output_dir, "results.md"), "w") as output:
        output.write(markdown(documents, dict(host, kept_numbers=kept_numbers), arguments.previous))
    missed = sum(1 for document in documents for figure in document["figures"] if figure["met"] is False)
    print(f"bench: wrote {arguments.output_dir}/results.md, results.json" + (f", {', '.join(plots)}" if plots else "")
          + f"; {missed} target(s) missed")


if __name__ == "__main__":
    main()
