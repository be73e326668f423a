"""``rtlab demo``: the turn-detection tuning walkthrough, headless.

It answers the question voice-agent builders ask ("do the API defaults cut my users off, and
what should I use instead?") on the shipped real recordings, and writes every table, plot,
event log and session it makes to one folder:

1. the API-default session and a tuned one, as beta and GA ``session.update`` events;
2. a shipped clip in the API's audio formats (24 kHz PCM16 WAV, G.711 u-law and A-law);
3. both sessions run through the local emulator: event logs (JSONL), a timeline, a
   comparison and an event swimlane;
4. a parameter sweep over the shipped meeting clips: the tidy table, a heatmap, the Pareto
   front, the latency/cut-off trade-off and the recommended session;
5. notebook 03 executed headless (when the notebooks folder is present).

``summary.md`` in the folder lists what was written and the numbers that matter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from rtlab._io import atomic_write
from rtlab.sweeps import LATENCY_BUDGET_MS

#: The clip the walkthrough tunes on: a real meeting excerpt where a speaker pauses mid-turn.
DEMO_CLIP = "ami-debug/dev00"
#: The clips the sweep runs over: every shipped clip with timed annotations (all but ``jfk``).
SWEEP_CLIPS = "*"
#: The two shapes of the Realtime API's events.
APIS: tuple[Literal["beta", "ga"], ...] = ("beta", "ga")
#: eot-bench's published English results (livekit/eot-bench README, comparison report):
#: false cut-offs at 300 / 600 ms and latency at 5 % / 10 % false cut-offs (None: not
#: reached). Different data from rtlab's clips: context, not a comparison.
EOT_BENCH_PUBLISHED = {
    "VAD baseline (eot-bench)": (0.556, 0.217, 1600.0, 1000.0),
    "Smart Turn v3.2 (eot-bench)": (0.352, 0.148, 1051.0, 739.0),
    "GPT Realtime 2, semantic VAD (eot-bench)": (None, None, 1143.0, 824.0),
}


_EOT_DETECTORS = ("server_vad", "semantic_vad", "smart_turn", "vad_baseline")


def _operating_points_md(points) -> str:
    """The operating points as a Markdown table, with eot-bench's published rows below."""

    def cell(value, kind: str) -> str:
        if value is None or value != value:  # None or NaN: no setting reaches the budget
            return "not reached"
        return f"{value:.1%}" if kind == "rate" else f"{value:.0f} ms"

    head = (
        "| detector | false cut-offs @ 300 ms | @ 600 ms | latency @ 5 % | @ 10 % |\n"
        "|---|---|---|---|---|\n"
    )
    rows = [
        (
            detector,
            row["false_cutoff_rate_at_300ms"],
            row["false_cutoff_rate_at_600ms"],
            row["latency_ms_at_5pct"],
            row["latency_ms_at_10pct"],
        )
        for detector, row in points.iterrows()
    ]
    rows += [(name, *values) for name, values in EOT_BENCH_PUBLISHED.items()]
    body = "".join(
        f"| {name} | {cell(a, 'rate')} | {cell(b, 'rate')} | {cell(c, 'ms')} | {cell(d, 'ms')} |\n"
        for name, a, b, c, d in rows
    )
    return head + body


def _duplex_finding(*, quick: bool):
    """Self-interruptions and missed barge-ins of two sessions by echo attenuation (dB)."""
    import pandas as pd

    import rtlab

    user = rtlab.datasets.conversation(1.0, seed=0)
    floor = rtlab.noise.pink(10.0, seed=1, level_dbfs=-60)
    sessions = {"defaults": rtlab.Session()}
    if not quick:
        sessions["threshold_0.8"] = rtlab.Session(turn_detection=rtlab.ServerVad(threshold=0.8))
    rows = []
    for name, session in sessions.items():
        for attenuation_db in (20, 30, 40):
            echo = rtlab.Echo(return_loss_db=0, suppression_db=attenuation_db)
            conv = rtlab.simulate(user, session, agent=rtlab.Agent(), echo=echo, noise=floor)
            m = rtlab.metrics.score(conv.log, conv.truth)
            rows.append(
                {
                    "session": name,
                    "attenuation_db": attenuation_db,
                    "self_interruptions": int(m["self_interruptions"]),
                    "missed_barge_ins": int(m["missed_barge_ins"]),
                    "barge_in_turns": int(m["barge_in_turns"]),
                    "responses": int(m["responses"]),
                }
            )
    return pd.DataFrame(rows)


def _summary_row(summary, session):
    """The row of a sweep summary whose parameters are those of ``session``."""
    mask = None
    for column in (c for c in summary.columns if c.startswith("param_")):
        value = session
        for part in column.removeprefix("param_").split("."):
            value = getattr(value, part)
        hit = summary[column] == value
        mask = hit if mask is None else mask & hit
    return summary[mask].iloc[0]


def _write_json(path: Path, payload: object) -> None:
    with atomic_write(path) as handle:
        json.dump(payload, handle, indent=2)
        handle.write("\n")


def _save_figure(fig, path: Path) -> None:
    with atomic_write(path, "wb") as handle:
        fig.savefig(handle, format="png", dpi=110, bbox_inches="tight")


def run_demo(
    out: str | Path = "out",
    *,
    quick: bool = False,
    notebook: bool = True,
    echo: Callable[[str], None] = print,
) -> dict[str, float]:
    """Run the walkthrough and write its outputs to ``out``.

    Parameters
    ----------
    out : str or Path
        Output folder (created).
    quick : bool
        Use a smaller sweep grid (for tests).
    notebook : bool
        Also execute ``notebooks/03_turn_detection_tuning.ipynb`` into ``out``.
    echo : callable
        Where progress lines go (``print`` on the command line).

    Returns
    -------
    dict
        The headline numbers (also written to ``summary.md``).
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    import rtlab
    from rtlab import datasets, metrics, plot, presets

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    numbers: dict[str, float] = {}
    written: list[str] = []
    started = time.perf_counter()

    # 1. sessions --------------------------------------------------------------------------
    defaults = presets.api_defaults()
    tuned = presets.patient()
    for name, session in (("defaults", defaults), ("patient", tuned)):
        for api in APIS:
            path = out / f"session_{name}.{api}.json"
            _write_json(path, session.to_event(api=api))
            written.append(path.name)
    for api in APIS:
        echo(f"1. session.update ({api}) for the API defaults:")
        echo(json.dumps(defaults.to_event(api=api), indent=2))

    # 2. audio -----------------------------------------------------------------------------
    clip = datasets.load(DEMO_CLIP)
    audio = clip.audio
    audio.save(out / "clip.24k.wav")
    for law in ("ulaw", "alaw"):
        with atomic_write(out / f"clip.g711_{law}.raw", "wb") as handle:
            handle.write(audio.to_g711(law))
    written += ["clip.24k.wav", "clip.g711_ulaw.raw", "clip.g711_alaw.raw"]
    echo(f"2. {clip.name}: {audio.duration_s:.1f} s at 24 kHz PCM16, G.711 u-law and A-law written")

    # 3. detection ---------------------------------------------------------------------------
    scores = rtlab.vad.score(audio)
    logs = {"API defaults": rtlab.detect(scores, defaults), "patient": rtlab.detect(scores, tuned)}
    logs["semantic_vad (auto)"] = rtlab.detect(
        scores, defaults.replace(**{"turn_detection.type": "semantic_vad"})
    )
    for label, log in logs.items():
        slug = label.split(" ")[0].lower().replace("api", "defaults")
        log.to_jsonl(out / f"events_{slug}.jsonl")
        written.append(f"events_{slug}.jsonl")
        row = metrics.score(log, clip.truth)
        echo(
            f"3. {label:22s} turns={int(row['n_detected_turns'])}/{int(row['n_true_turns'])} "
            f"false_cutoffs={int(row['false_cutoffs'])} "
            f"missed_ends={int(row['missed_ends'])}/{int(row['n_true_ends'])} "
            f"latency_median={row['latency_ms_median']:.0f} ms"
        )
        numbers[f"{slug}_false_cutoffs"] = float(row["false_cutoffs"])
    _save_figure(
        plot.timeline(audio, logs["API defaults"], scores=scores, truth=clip.truth),
        out / "timeline_defaults.png",
    )
    _save_figure(plot.side_by_side(audio, logs, truth=clip.truth), out / "compare.png")
    fig = Figure(figsize=(10, 3.5))
    vad = defaults.turn_detection
    assert vad is not None and vad.type == "server_vad", vad
    plot.events(
        logs["API defaults"],
        title=f"server events: {clip.name}, API defaults (threshold {vad.threshold:g}, "
        f"silence {vad.silence_duration_ms} ms, padding {vad.prefix_padding_ms} ms)",
        ax=fig.add_subplot(),
    )
    _save_figure(fig, out / "events_swimlane.png")
    written += ["timeline_defaults.png", "compare.png", "events_swimlane.png"]

    # 4. sweep ------------------------------------------------------------------------------
    clips = [clip for clip in datasets.load_all(SWEEP_CLIPS) if clip.truth.speech_known]
    if quick:
        grid = {"threshold": [0.3, 0.5, 0.7], "silence_duration_ms": [300, 500, 1000]}
    else:
        grid = {
            "threshold": [0.3, 0.4, 0.5, 0.6, 0.7, 0.8],
            "silence_duration_ms": [200, 300, 500, 700, 900, 1200, 1600],
            "prefix_padding_ms": [100, 300, 500],
        }
    table = rtlab.sweep(clips, grid, base=defaults)
    summary = rtlab.summarize(table)
    with atomic_write(out / "sweep.csv") as handle:
        table.to_csv(handle, index=False)
    with atomic_write(out / "sweep_summary.csv") as handle:
        summary.to_csv(handle, index=False)
    best = rtlab.recommend(table, max_latency_ms=LATENCY_BUDGET_MS)
    best.save(out / "recommended_session.json")
    heat = Figure(figsize=(8, 5))
    # silence duration x threshold, false cut-off rate; the title says what a cell averages
    plot.sweep_heatmap(table, ax=heat.add_subplot())
    _save_figure(heat, out / "sweep_heatmap.png")
    front = Figure(figsize=(7, 5))
    plot.pareto_front(table, ax=front.add_subplot())
    _save_figure(front, out / "sweep_pareto.png")
    trade = Figure(figsize=(7, 5))
    plot.tradeoff(table, max_latency_ms=LATENCY_BUDGET_MS, ax=trade.add_subplot())
    _save_figure(trade, out / "sweep_tradeoff.png")
    written += [
        "sweep.csv",
        "sweep_summary.csv",
        "recommended_session.json",
        "sweep_heatmap.png",
        "sweep_pareto.png",
        "sweep_tradeoff.png",
    ]
    minutes = sum(clip.audio.duration_s for clip in clips) / 60
    echo(f"4. sweep: {len(summary)} configurations x {len(clips)} clips ({minutes:.1f} min)")
    echo(
        f"   {'':24s} {'false cut-offs':>15s} {'latency median':>15s} {'missed turns':>13s}"
        f" {'missed ends':>12s}"
    )
    for label, session in (("API defaults", defaults), ("recommended", best)):
        row = _summary_row(summary, session)
        echo(
            f"   {label:24s} {row['false_cutoff_rate']:15.1%} {row['latency_ms_median']:12.0f} ms"
            f" {row['missed_turn_rate']:13.1%} {row['missed_end_rate']:12.1%}"
        )
        slug = label.split(" ")[0].lower()
        numbers[f"{slug}_false_cutoff_rate"] = float(row["false_cutoff_rate"])
        numbers[f"{slug}_latency_ms_median"] = float(row["latency_ms_median"])
        numbers[f"{slug}_missed_turn_rate"] = float(row["missed_turn_rate"])
        numbers[f"{slug}_missed_end_rate"] = float(row["missed_end_rate"])
    td = best.turn_detection
    # the grid varies server_vad parameters of the API defaults, so every candidate is one
    assert td is not None and td.type == "server_vad", td
    echo(
        f"   recommended within {LATENCY_BUDGET_MS:.0f} ms: threshold {td.threshold}, "
        f"prefix_padding_ms {td.prefix_padding_ms}, silence_duration_ms {td.silence_duration_ms}"
    )

    # 5. the field's yardstick ---------------------------------------------------------------
    detectors = ["server_vad", "vad_baseline"] if quick else list(_EOT_DETECTORS)
    bench = rtlab.benchmark(clips, detectors=detectors)
    points = rtlab.operating_points(bench)
    with atomic_write(out / "eot_benchmark.csv") as handle:
        bench.to_csv(handle, index=False)
    fig = Figure(figsize=(7, 5))
    plot.operating_points(bench, ax=fig.add_subplot())
    _save_figure(fig, out / "eot_operating_points.png")
    table_md = _operating_points_md(points)
    with atomic_write(out / "eot_operating_points.md") as handle:
        handle.write(table_md)
    written += ["eot_benchmark.csv", "eot_operating_points.png", "eot_operating_points.md"]
    echo("5. eot-bench operating points on these clips (published figures below: other data)")
    echo(table_md)

    # 6. full duplex: the agent talks back ---------------------------------------------------
    duplex = _duplex_finding(quick=quick)
    with atomic_write(out / "duplex_echo.csv") as handle:
        duplex.to_csv(handle, index=False)
    written.append("duplex_echo.csv")
    echo("6. full duplex: self-interruptions by echo attenuation (1 min conversation, agent")
    echo("   answering with real speech 700 ms after each commit, noise floor -60 dBFS)")
    echo(duplex.to_string(index=False))
    for _, row in duplex.iterrows():
        numbers[f"self_interruptions_{row['session']}_{row['attenuation_db']}db"] = float(
            row["self_interruptions"]
        )

    # 7. notebook ---------------------------------------------------------------------------
    nb = Path(__file__).resolve().parents[1] / "notebooks" / "03_turn_detection_tuning.ipynb"
    if notebook and nb.exists():
        from rtlab._notebooks import execute_notebook

        execute_notebook(nb, out / nb.name)
        written.append(nb.name)
        echo(f"7. executed {nb.name}")

    numbers["seconds"] = time.perf_counter() - started
    lines = ["# rtlab demo", "", f"clip: {DEMO_CLIP}", "", "## numbers", ""]
    lines += [
        f"- {k}: {v:.0f}" if float(v).is_integer() else f"- {k}: {v:.3f}"
        for k, v in numbers.items()
    ]
    lines += ["", "## files", ""] + [f"- {name}" for name in written]
    with atomic_write(out / "summary.md") as handle:
        handle.write("\n".join(lines) + "\n")
    echo(f"done in {numbers['seconds']:.0f} s; outputs in {out}/ (see summary.md)")
    return numbers
