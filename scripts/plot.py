#!/usr/bin/env python3
"""Plots for BENCHMARKS.md from `aerolite bench --json` output, as hand-written SVG (standard
library only).

    scripts/plot.py OUT_DIR RUN.json [RUN.json ...]

Writes OUT_DIR/throughput_vs_threads.svg (ops/s of each workload against the run's thread count,
one run per thread count) and OUT_DIR/latency_cdf.svg (latency CDF of each workload of the run
with the most threads; y on a "nines" scale so the tail is visible, x logarithmic).
"""
import json
import math
import os
import sys

W, H = 720, 440
L, R, T, B = 80, 170, 40, 60
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def esc(s):
    return str(s).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Svg:
    def __init__(self, title):
        self.parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
            f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
            f'<rect width="{W}" height="{H}" fill="white"/>',
            f'<text x="{W / 2}" y="22" text-anchor="middle" font-size="15">{esc(title)}</text>',
        ]

    def line(self, x1, y1, x2, y2, color="#000", width=1, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{color}" stroke-width="{width}"{d}/>')

    def text(self, x, y, s, anchor="middle", rotate=None, color="#000"):
        r = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate is not None else ""
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" fill="{color}"{r}>{esc(s)}</text>')

    def polyline(self, pts, color):
        p = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        self.parts.append(f'<polyline points="{p}" fill="none" stroke="{color}" stroke-width="2"/>')
        for x, y in pts:
            self.parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>')

    def frame(self, xlabel, ylabel):
        self.line(L, H - B, W - R, H - B)
        self.line(L, T, L, H - B)
        self.text((L + W - R) / 2, H - 15, xlabel)
        self.text(18, (T + H - B) / 2, ylabel, rotate=-90)

    def legend(self, names):
        for i, n in enumerate(names):
            y = T + 10 + 18 * i
            c = COLORS[i % len(COLORS)]
            self.line(W - R + 15, y, W - R + 35, y, c, 2)
            self.text(W - R + 40, y + 4, n, anchor="start")

    def save(self, path):
        self.parts.append("</svg>")
        with open(path, "w") as f:
            f.write("\n".join(self.parts) + "\n")


def nice_max(v):
    if v <= 0:
        return 1
    e = 10 ** math.floor(math.log10(v))
    for m in (1, 2, 2.5, 5, 10):
        if v <= m * e:
            return m * e
    return 10 * e


def throughput_vs_threads(runs, path):
    series = {}
    for r in runs:
        for p in r["phases"]:
            series.setdefault(p["workload"], []).append((p["threads"], p["ops_per_s"]))
    threads = sorted({t for pts in series.values() for t, _ in pts})
    ymax = nice_max(max(o for pts in series.values() for _, o in pts))
    svg = Svg(f"aerolite throughput vs threads · target {runs[0]['target']} · {runs[0]['durability']}")
    svg.frame("threads", "ops/s")
    lx = [math.log2(t) for t in threads]
    x0, x1 = min(lx), max(lx) if max(lx) > min(lx) else min(lx) + 1

    def X(t):
        return L + (math.log2(t) - x0) / (x1 - x0) * (W - L - R)

    def Y(v):
        return H - B - v / ymax * (H - T - B)

    for i in range(6):
        v = ymax * i / 5
        svg.line(L - 4, Y(v), W - R, Y(v), "#ddd")
        svg.text(L - 8, Y(v) + 4, f"{v:,.0f}", anchor="end")
    for t in threads:
        svg.line(X(t), H - B, X(t), H - B + 4)
        svg.text(X(t), H - B + 18, t)
    names = sorted(series)
    for i, n in enumerate(names):
        svg.polyline([(X(t), Y(o)) for t, o in sorted(series[n])], COLORS[i % len(COLORS)])
    svg.legend(names)
    svg.save(path)


def latency_cdf(run, path):
    svg = Svg(f"aerolite latency CDF · {run['phases'][0]['threads']} threads · target {run['target']}")
    svg.frame("latency (µs, log scale)", "percentile")
    curves = [(p["workload"], p["latency_cdf_us"]) for p in run["phases"] if p["latency_cdf_us"]]
    lats = [us for _, c in curves for _, us in c if us > 0]
    lo = 10 ** math.floor(math.log10(min(lats)))
    hi = 10 ** math.ceil(math.log10(max(lats)))
    nines_max = 5.0

    def X(us):
        return L + (math.log10(max(us, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * (W - L - R)

    def Y(q):
        n = min(-math.log10(max(1 - q, 10 ** -nines_max)), nines_max)
        return H - B - n / nines_max * (H - T - B)

    d = lo
    while d <= hi:
        svg.line(X(d), T, X(d), H - B + 4, "#ddd")
        svg.text(X(d), H - B + 18, f"{d:g}")
        d *= 10
    for q, label in ((0, "0"), (0.9, "90"), (0.99, "99"), (0.999, "99.9"), (0.9999, "99.99"), (0.99999, "99.999")):
        svg.line(L - 4, Y(q), W - R, Y(q), "#ddd")
        svg.text(L - 8, Y(q) + 4, label, anchor="end")
    for i, (n, c) in enumerate(curves):
        svg.polyline([(X(us), Y(q)) for q, us in c if q < 1.0], COLORS[i % len(COLORS)])
    svg.legend([n for n, _ in curves])
    svg.save(path)


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    out = argv[1]
    os.makedirs(out, exist_ok=True)
    runs = []
    for f in argv[2:]:
        with open(f) as fh:
            runs.append(json.load(fh))
    runs.sort(key=lambda r: r["phases"][0]["threads"])
    throughput_vs_threads(runs, os.path.join(out, "throughput_vs_threads.svg"))
    latency_cdf(runs[-1], os.path.join(out, "latency_cdf.svg"))
    print(f"wrote {out}/throughput_vs_threads.svg and {out}/latency_cdf.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
