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
#: The end-of-turn latency a voice agent can afford (median, ms) when picking a configuration.


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
            f"3. {label:22s} turns={int(row['n_detected_turns'])} "
            f"false_cutoffs={int(row['false_cutoffs'])} "
            f"latency_median={row['latency_ms_median']:.0f} ms"
        )
        numbers[f"{slug}_false_cutoffs"] = float(row["false_cutoffs"])
    _save_figure(
        plot.timeline(audio, logs["API defaults"], scores=scores, truth=clip.truth),
        out / "timeline_defaults.png",
    )
    _save_figure(plot.compare(audio, logs, truth=clip.truth), out / "compare.png")
    fig = Figure(figsize=(10, 3.5))
    plot.events(logs["API defaults"], ax=fig.add_subplot())
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
    plot.sweep_heatmap(
        table,
        x="silence_duration_ms",
        y="threshold",
        metric="false_cutoff_rate",
        ax=heat.add_subplot(),
    )
    _save_figure(heat, out / "sweep_heatmap.png")
    front = Figure(figsize=(7, 5))
    plot.pareto(table, ax=front.add_subplot())
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
    echo(f"   {'':24s} {'false cut-offs':>15s} {'latency median':>15s} {'missed turns':>13s}")
    for label, session in (("API defaults", defaults), ("recommended", best)):
        row = _summary_row(summary, session)
        echo(
            f"   {label:24s} {row['false_cutoff_rate']:15.1%} {row['latency_ms_median']:12.0f} ms"
            f" {row['missed_turn_rate']:13.1%}"
        )
        slug = label.split(" ")[0].lower()
        numbers[f"{slug}_false_cutoff_rate"] = float(row["false_cutoff_rate"])
        numbers[f"{slug}_latency_ms_median"] = float(row["latency_ms_median"])
        numbers[f"{slug}_missed_turn_rate"] = float(row["missed_turn_rate"])
    td = best.turn_detection
    # the grid varies server_vad parameters of the API defaults, so every candidate is one
    assert td is not None and td.type == "server_vad", td
    echo(
        f"   recommended within {LATENCY_BUDGET_MS:.0f} ms: threshold {td.threshold}, "
        f"prefix_padding_ms {td.prefix_padding_ms}, silence_duration_ms {td.silence_duration_ms}"
    )

    # 5. notebook ---------------------------------------------------------------------------
    nb = Path(__file__).resolve().parents[1] / "notebooks" / "03_turn_detection_tuning.ipynb"
    if notebook and nb.exists():
        from rtlab._notebooks import execute_notebook

        execute_notebook(nb, out / nb.name)
        written.append(nb.name)
        echo(f"5. executed {nb.name}")

    numbers["seconds"] = time.perf_counter() - started
    lines = ["# rtlab demo", "", f"clip: {DEMO_CLIP}", "", "## numbers", ""]
    lines += [f"- {k}: {v:.3f}" for k, v in numbers.items()]
    lines += ["", "## files", ""] + [f"- {name}" for name in written]
    with atomic_write(out / "summary.md") as handle:
        handle.write("\n".join(lines) + "\n")
    echo(f"done in {numbers['seconds']:.0f} s; outputs in {out}/ (see summary.md)")
    return numbers
