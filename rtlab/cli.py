"""The rtlab command line: turn detection on your own recordings, from a shell.

Commands (``rtlab COMMAND --help`` tells more about each):

    rtlab demo [--out out]                 the turn-detection tuning walkthrough, headless
    rtlab session validate FILE            print the normalised session, or the error
    rtlab session show [FILE | --preset NAME] [--api ga|beta]
    rtlab datasets                         the shipped clips
    rtlab detect FILE... [--truth T...] [--session S] [--plot P] [--out L]
    rtlab sweep [FILE...] [--truth T...] [--type server_vad,semantic_vad]
                [--param PATH=V1,V2 ...] [--grid GRID.json] [--out table.csv]
    rtlab benchmark [FILE...] [--truth T...]   eot-bench operating points
    rtlab draft FILE...                    draft truth CSVs from the recordings
    rtlab serve                            local Realtime-protocol server (emulator)
    rtlab probe --out DIR                  record a Realtime server on the probe set
    rtlab record FILE --session S --out L  the live API (needs OPENAI_API_KEY)

Every command exits with status 1 and a one-line message when rtlab rejects its input.
The help texts of the parser are plain text (they are printed by ``rtlab --help``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rtlab.errors import ConfigError, RtlabError

_DESCRIPTION = """\
rtlab: emulate and tune the OpenAI Realtime API's turn detection (server_vad,
semantic_vad) on your own recordings, score it against the true turns, sweep its
parameters and write the session.update JSON to send."""
_EPILOG = """\
examples:
  rtlab detect call.wav
      the turns the API defaults find; scored when a truth file is beside the audio
      (call.csv, call.rttm, call.lab, call.txt or call.json)
  rtlab detect call.wav --truth call-turns.csv --session patient.json --plot call.png
  rtlab sweep calls/*.wav --type server_vad,semantic_vad --out sweep.csv
  rtlab sweep calls/*.wav --param silence_duration_ms=300,500,800 --param threshold=0.4,0.6
  rtlab sweep --clips 'ami-debug/*' --grid grid.json
  rtlab session show my_session.json --api ga
  rtlab draft calls/*.wav        draft truth CSVs, then correct them in the Annotator

Truth files: CSV of start_s,end_s[,speaker[,text]] rows, RTTM, Audacity labels (.lab), a
transcript (.txt, no timing: not scored) or JSON; see rtlab.read_annotation.
Every command exits with status 1 and a one-line message when rtlab rejects its input.
"""


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def _ints(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


def _value(text: str) -> Any:
    """A grid value from the command line: a JSON scalar (300, 0.5, true, null) or a string."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return value if isinstance(value, int | float | bool | str) or value is None else text


def _param(text: str) -> tuple[str, list[Any]]:
    """``"turn_detection.eagerness=low,high"`` -> (path, ["low", "high"])."""
    path, sep, values = text.partition("=")
    parts = [part.strip() for part in values.split(",") if part.strip()]
    if not sep or not path.strip() or not parts:
        raise ConfigError(
            "--param", text, "PATH=V1,V2,... (e.g. turn_detection.eagerness=low,high)",
            owner="rtlab sweep",
        )  # fmt: skip
    return path.strip(), [_value(part) for part in parts]


_SWEEP_COLUMNS = [
    "false_cutoff_rate",
    "latency_ms_median",
    "missed_end_rate",
    "missed_turn_rate",
    "false_turns",
    "f1",
]
_TYPES = ("server_vad", "semantic_vad")


def _load_session(path: str | None):
    from rtlab.session import Session

    return Session.load(path) if path else Session()


def _cmd_demo(args: argparse.Namespace) -> int:
    from rtlab.demo import run_demo

    run_demo(Path(args.out), quick=args.quick, notebook=not args.no_notebook)
    return 0


def _cmd_session_validate(args: argparse.Namespace) -> int:
    session = _load_session(args.file)
    print(json.dumps(session.to_dict(), indent=2))
    return 0


def _cmd_session_show(args: argparse.Namespace) -> int:
    from rtlab import presets

    if args.file and args.preset:
        raise ConfigError(
            "--preset", args.preset, "either a session FILE or --preset, not both",
            owner="rtlab session show",
        )  # fmt: skip
    session = presets.PRESETS[args.preset]() if args.preset else _load_session(args.file)
    print(json.dumps(session.to_event(api=args.api), indent=2))
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from rtlab import datasets

    print(datasets.names().to_string(index=False))
    return 0


def _clips_of_files(files: Sequence[str], truth: Sequence[str] | None, missing: str) -> list:
    from rtlab.corpora import from_files

    return from_files(list(files), truth=list(truth) if truth else None, missing=missing)  # type: ignore[arg-type]


def _target(path: str, stem: str, suffix: str, many: bool) -> Path:
    """``path`` itself for one input file; ``path/<stem><suffix>`` (folder made) for several."""
    if not many:
        return Path(path)
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{stem}{suffix}"


def _ms(value: float) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.0f}"


def _turns_text(log) -> str:
    """The detected turns as a plain table; the transcript column only when a turn has one."""
    turns = log.turns()
    if turns.empty:
        return "  (no turn detected)"
    frame = turns.assign(
        turn=range(1, len(turns) + 1),
        start_ms=[_ms(v) for v in turns["start_ms"]],
        end_ms=[_ms(v) for v in turns["end_ms"]],
        committed=["yes" if c else "no" for c in turns["committed"]],
    )
    columns = ["turn", "item_id", "start_ms", "end_ms", "committed"]
    if turns["transcript"].notna().any():
        frame["transcript"] = turns["transcript"].fillna("")
        columns.append("transcript")
    text = frame[columns].to_string(index=False)
    return "\n".join("  " + line for line in text.splitlines())


def _score_text(row) -> str:
    n_true, n_ends = int(row["n_true_turns"]), int(row["n_true_ends"])
    latency = row["latency_ms_median"]
    parts = [
        f"{int(row['n_detected_turns'])} detected / {n_true} true turns",
        f"{int(row['false_cutoffs'])} false cut-offs ({row['false_cutoff_rate']:.0%})",
        f"{int(row['missed_turns'])} missed turns",
        f"{int(row['false_turns'])} false turns",
    ]
    if n_ends:
        parts.append(f"{int(row['missed_ends'])} of {n_ends} turn ends missed")
    parts.append(
        f"median end-of-turn latency {latency:.0f} ms"
        if math.isfinite(latency)
        else "no turn end answered (latency n/a)"
    )
    return ", ".join(parts)


def _describe(session) -> str:
    detection = session.turn_detection
    if detection is None:
        return "turn detection off"
    if detection.type == "semantic_vad":
        return f"semantic_vad, eagerness {detection.eagerness}"
    return (
        f"server_vad, threshold {detection.threshold:g}, prefix_padding_ms "
        f"{detection.prefix_padding_ms}, silence_duration_ms {detection.silence_duration_ms}"
    )


def _cmd_detect(args: argparse.Namespace) -> int:
    from rtlab.metrics import score
    from rtlab.turns import detect

    clips = _clips_of_files(args.files, args.truth, "keep")
    session = _load_session(args.session)
    many = len(clips) > 1
    for i, clip in enumerate(clips):
        log = detect(clip.audio, session)
        if i:
            print()
        timed = clip.truth.speech_known
        print(
            f"{clip.audio.source} ({clip.duration_s:.1f} s), {_describe(log.session)}: "
            f"{len(log.turns())} turns detected"
        )
        print(_turns_text(log))
        if timed:
            print(f"  scored against {clip.truth.source}: {_score_text(score(log, clip.truth))}")
        else:
            print(
                "  not scored: no timed truth (a .csv, .rttm, .lab or .json beside it, or --truth)"
            )
        if args.out:
            log.to_jsonl(_target(args.out, clip.name, ".jsonl", many))
        if args.plot:
            from rtlab import plot

            fig = plot.timeline(clip.audio, log, truth=clip.truth if timed else None)
            fig.savefig(_target(args.plot, clip.name, ".png", many), dpi=120)
    return 0


def _sweep_grid(args: argparse.Namespace) -> list[dict[str, list[Any]]]:
    """The sweep grid the options describe: one sub-grid per turn-detection type."""
    from rtlab.session import SemanticVad, ServerVad
    from rtlab.sweeps import ALIASES

    owner = "rtlab sweep"
    shaped = {
        "--type": args.type,
        "--threshold": args.threshold,
        "--silence": args.silence,
        "--prefix": args.prefix,
        "--eagerness": args.eagerness,
    }
    params = [_param(text) for text in args.param or []]
    if args.grid:
        given = [name for name, value in shaped.items() if value is not None]
        if given:
            raise ConfigError(
                given[0], shaped[given[0]], "no value with --grid", owner=owner,
                message=f"--grid takes the whole grid from {args.grid}: drop {given[0]} (put "
                "its values in the grid file, or add them with --param).",
            )  # fmt: skip
        try:
            loaded = json.loads(Path(args.grid).read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise ConfigError(
                "--grid", args.grid, "a readable JSON file: a dict of path to list, or a list "
                "of such dicts", owner=owner,
            ) from exc  # fmt: skip
        given_grids = loaded if isinstance(loaded, list) else [loaded]
        if not given_grids or not all(isinstance(g, dict) for g in given_grids):
            raise ConfigError(
                "--grid", args.grid, "a dict of dotted path to list of values, or a list of "
                "such dicts", owner=owner,
            )  # fmt: skip
        out = [dict(g) for g in given_grids]
        for path, values in params:
            for sub in out:
                sub[path] = values
        return out
    types = (args.type or "server_vad").split(",")
    for kind in types:
        if kind not in _TYPES:
            raise ConfigError("--type", kind, "server_vad or semantic_vad", owner=owner)
    fields = {"server_vad": ServerVad.model_fields, "semantic_vad": SemanticVad.model_fields}
    grids: dict[str, dict[str, list[Any]]] = {}
    for kind in dict.fromkeys(types):
        grid: dict[str, list[Any]] = {"turn_detection.type": [kind]}
        if kind == "server_vad":
            grid["turn_detection.threshold"] = _floats(args.threshold or "0.3,0.5,0.7")
            grid["turn_detection.silence_duration_ms"] = _ints(args.silence or "300,500,800,1200")
            grid["turn_detection.prefix_padding_ms"] = _ints(args.prefix or "300")
        else:
            grid["turn_detection.eagerness"] = (args.eagerness or "low,medium,high,auto").split(",")
        grids[kind] = grid
    for path, values in params:
        full = ALIASES.get(path, path)
        if full == "turn_detection.type":
            raise ConfigError("--param", path, "any session path but the type", owner=owner,
                              fix="Choose the kinds of turn detection with --type.")  # fmt: skip
        if full.startswith("turn_detection."):
            leaf = full.removeprefix("turn_detection.")
            kinds = [kind for kind in grids if leaf in fields[kind]]
            if not kinds:
                allowed = sorted(set().union(*(fields[k] for k in grids)) - {"type"})
                raise ConfigError(
                    "--param", path, "a turn_detection field of " + " or ".join(grids) + ": "
                    + ", ".join(allowed), owner=owner,
                )  # fmt: skip
        else:
            kinds = list(grids)
        for kind in kinds:
            grids[kind][full] = values
    return list(grids.values())


def _summary_text(summary) -> str:
    params = [c for c in summary.columns if c.startswith("param_")]
    varied = [c for c in params if summary[c].astype(str).nunique() > 1] or params
    metrics = [c for c in _SWEEP_COLUMNS if c in summary.columns]
    shown = summary[["config_id", *varied, *metrics]].copy()
    shown.columns = [c.removeprefix("param_").rsplit(".", 1)[-1] for c in shown.columns]
    return shown.to_string(
        index=False,
        na_rep="-",
        float_format=lambda v: f"{v:.0f}" if abs(v) >= 100 or float(v).is_integer() else f"{v:.3g}",
    )


def _cmd_sweep(args: argparse.Namespace) -> int:
    from rtlab import datasets
    from rtlab._io import atomic_write
    from rtlab.sweeps import recommend, summarize, sweep

    grid = _sweep_grid(args)
    if args.files:
        clips = _clips_of_files(args.files, args.truth, "error")
    else:
        if args.truth:
            raise ConfigError("--truth", args.truth, "truth files with audio FILEs",
                              owner="rtlab sweep")  # fmt: skip
        clips = [clip for clip in datasets.load_all(args.clips) if clip.truth.speech_known]
        if not clips:
            raise RtlabError(
                message=f"No shipped clip with timed annotations matches {args.clips!r}."
            )
    untimed = [clip.name for clip in clips if not clip.truth.speech_known]
    if untimed:
        raise ConfigError(
            "FILE", untimed, "audio files with timed truth (turns or speech spans)",
            owner="rtlab sweep", fix="A transcript alone cannot be scored: draft the turns "
            "with `rtlab draft FILE` and correct them.",
        )  # fmt: skip
    table = sweep(clips, grid, base=_load_session(args.session), n_jobs=args.jobs)
    summary = summarize(table)
    print(f"{len(summary)} configurations x {len(clips)} clips, rates pooled over the clips:")
    print(_summary_text(summary))
    if args.out:
        with atomic_write(args.out) as handle:
            table.to_csv(handle, index=False)
    best = recommend(table, max_latency_ms=args.max_latency_ms)
    print(f"recommended within {args.max_latency_ms:g} ms median latency ({args.api} session):")
    print(json.dumps(best.to_event(api=args.api), indent=2))
    return 0


def _cmd_benchmark(args: argparse.Namespace) -> int:
    from rtlab import datasets
    from rtlab._io import atomic_write
    from rtlab.eot import benchmark, operating_points

    if args.files:
        from rtlab.corpora import from_files

        clips = from_files(args.files, truth=args.truth, missing="error")
    else:
        clips = [clip for clip in datasets.load_all(args.clips) if clip.truth.speech_known]
    if not clips:
        raise RtlabError(message=f"No shipped clip with timed annotations matches {args.clips!r}.")
    table = benchmark(clips, detectors=args.detectors.split(","))
    points = operating_points(table)
    print(points.to_string(float_format=lambda v: f"{v:.3f}"))
    if args.out:
        from matplotlib.figure import Figure

        from rtlab.plot import operating_points as draw

        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        with atomic_write(out / "benchmark.csv") as handle:
            table.to_csv(handle, index=False)
        with atomic_write(out / "operating_points.csv") as handle:
            points.to_csv(handle)
        fig = Figure(figsize=(7, 5), layout="constrained")
        draw(table, ax=fig.add_subplot())
        with atomic_write(out / "operating_points.png", "wb") as handle:
            fig.savefig(handle, format="png", dpi=110)
        print(f"written to {out}/: benchmark.csv, operating_points.csv, operating_points.png")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import signal

    from rtlab.realtime import serve

    def stop(*_: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        return _serve_until_stopped(args, serve)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _serve_until_stopped(args: argparse.Namespace, serve) -> int:
    options = None
    if args.emulator_options:
        from rtlab.calibration import load_emulator_options

        options = load_emulator_options(args.emulator_options)
    server = serve(
        args.host,
        args.port,
        allow_remote=args.allow_remote,
        options=options,
        max_message_bytes=round(args.max_message_mib * 2**20),
        max_append_bytes=round(args.max_append_mib * 2**20),
        max_buffer_s=args.max_buffer_s,
        batch_wait_ms=None if args.batch_wait_ms < 0 else args.batch_wait_ms,
        response_speed=None if args.response_speed == 0 else args.response_speed,
    )
    try:
        print(
            f"rtlab serve: listening on {server.url} "
            "(use it as websocket_base_url of the openai client)",
            flush=True,
        )
        server.wait()
    except KeyboardInterrupt:  # Ctrl-C or SIGTERM: a clean stop
        pass
    finally:
        server.close()
    return 0


def _cmd_record(args: argparse.Namespace) -> int:
    from rtlab.realtime import record_file

    log = record_file(
        args.file,
        args.session,
        args.out,
        api=args.api,
        model=args.model,
        realtime=not args.fast,
        base_url=args.base_url,
        allow_insecure=args.allow_insecure,
    )
    print(log.turns().to_string(index=False))
    return 0


def _cmd_draft(args: argparse.Namespace) -> int:
    from rtlab.drafting import draft_truth, save_csv

    for name in args.files:
        truth = draft_truth(name, bridge_ms=args.bridge_ms, words=args.words)
        folder = Path(args.out_dir) if args.out_dir else Path(name).parent
        path = save_csv(truth, folder / f"{Path(name).stem}.csv", overwrite=args.force)
        print(f"{path}: {len(truth.turns)} turns (a draft: check it, e.g. in the Annotator)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``rtlab`` console script."""
    from rtlab.sweeps import LATENCY_BUDGET_MS

    parser = argparse.ArgumentParser(
        prog="rtlab",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the turn-detection tuning walkthrough headless")
    demo.add_argument("--out", default="out", help="folder for plots and tables (default: out)")
    demo.add_argument("--quick", action="store_true", help="a smaller sweep")
    demo.add_argument("--no-notebook", action="store_true", help="skip executing notebook 03")
    demo.set_defaults(func=_cmd_demo)

    session = sub.add_parser("session", help="validate or show session configurations")
    session_sub = session.add_subparsers(dest="session_command", required=True)
    validate = session_sub.add_parser("validate", help="print the normalised session or the error")
    validate.add_argument("file", help="session JSON (saved by Session.save, or an event)")
    validate.set_defaults(func=_cmd_session_validate)
    show = session_sub.add_parser(
        "show",
        help="print the session.update event of a session file or a preset",
        description="Print the session.update event that sends a session: read from FILE (a "
        "file saved by Session.save, or a session.update / session.created event of either "
        "API), or a preset, or the API defaults when neither is given.",
    )
    show.add_argument("file", nargs="?", metavar="FILE", help="session JSON file")
    show.add_argument(
        "--preset",
        choices=["api_defaults", "patient", "noisy_room", "telephony"],
        help="a preset instead of a file",
    )
    show.add_argument(
        "--api",
        choices=["ga", "beta"],
        default="ga",
        help="shape of the event: ga (the current interface, default) or beta",
    )
    show.set_defaults(func=_cmd_session_show)

    ds = sub.add_parser("datasets", help="list the shipped clips")
    ds.set_defaults(func=_cmd_datasets)

    detect = sub.add_parser(
        "detect",
        help="emulate turn detection on audio files (scored when their truth is known)",
        description="Run the local turn-detection emulator on each audio FILE and print the "
        "turns it finds. A file is scored (false cut-offs, missed turns, missed ends, "
        "latency) against its truth: given with --truth, or found beside it by name "
        "(call.wav + call.csv / .rttm / .lab / .json).",
    )
    detect.add_argument("files", nargs="+", metavar="FILE", help="audio files (wav, flac, ...)")
    detect.add_argument(
        "--truth", nargs="+", metavar="T", help="one truth file per FILE (default: beside it)"
    )
    detect.add_argument("--session", help="session JSON (default: the API defaults)")
    detect.add_argument(
        "--out", help="write the event log as JSONL (a folder of <name>.jsonl for several FILEs)"
    )
    detect.add_argument(
        "--plot", help="write a timeline PNG (a folder of <name>.png for several FILEs)"
    )
    detect.set_defaults(func=_cmd_detect)

    sweep = sub.add_parser(
        "sweep",
        help="sweep turn-detection parameters over audio files or shipped clips",
        description="Run every configuration of a grid on every clip through the emulator, "
        "print the scores pooled per configuration and the recommended session. The grid: "
        "by default one sub-grid per --type (server_vad: --threshold x --silence x --prefix; "
        "semantic_vad: --eagerness), each --param added to the sub-grids it applies to; or "
        "a --grid file. Clips: the audio FILEs with their truth (--truth, or beside each "
        "file), else the shipped clips matching --clips.",
    )
    sweep.add_argument(
        "files", nargs="*", metavar="FILE", help="audio files with timed truth (default: shipped)"
    )
    sweep.add_argument(
        "--truth", nargs="+", metavar="T", help="one truth file per FILE (default: beside it)"
    )
    sweep.add_argument(
        "--clips",
        default="*",
        help="shipped clip name pattern when no FILE is given (default: every timed clip)",
    )
    sweep.add_argument("--session", help="base session JSON the grid changes (default: empty)")
    sweep.add_argument(
        "--type",
        help="comma-separated turn-detection types to sweep: server_vad, semantic_vad "
        "(default: server_vad)",
    )
    sweep.add_argument(
        "--threshold", help="server_vad thresholds, comma-separated (default: 0.3,0.5,0.7)"
    )
    sweep.add_argument(
        "--silence",
        help="server_vad silence_duration_ms values, comma-separated (default: 300,500,800,1200)",
    )
    sweep.add_argument(
        "--prefix", help="server_vad prefix_padding_ms values, comma-separated (default: 300)"
    )
    sweep.add_argument(
        "--eagerness",
        help="semantic_vad eagerness values, comma-separated (default: low,medium,high,auto)",
    )
    sweep.add_argument(
        "--param",
        action="append",
        metavar="PATH=V1,V2",
        help="any session field to sweep, repeatable: a dotted path (or short name such as "
        "threshold, eagerness) and its values, e.g. turn_detection.eagerness=low,high or "
        "input_audio_noise_reduction.type=near_field,far_field; replaces the option of the "
        "same field",
    )
    sweep.add_argument(
        "--grid",
        metavar="GRID.json",
        help="the whole grid as JSON: a dict of dotted path to list of values, or a list of "
        "such dicts (one per type), as rtlab.sweep takes; not with --type or the value options",
    )
    sweep.add_argument(
        "--jobs", type=int, default=1, help="worker processes (default 1: this process)"
    )
    sweep.add_argument(
        "--max-latency-ms",
        type=float,
        default=LATENCY_BUDGET_MS,
        help="latency budget for the recommendation, ms of median end-of-turn latency "
        "(default %(default)g, rtlab.sweeps.LATENCY_BUDGET_MS)",
    )
    sweep.add_argument(
        "--api",
        choices=["ga", "beta"],
        default="ga",
        help="shape of the recommended session.update event (default ga)",
    )
    sweep.add_argument(
        "--out", help="write the tidy table (a row per configuration and clip) as CSV"
    )
    sweep.set_defaults(func=_cmd_sweep)

    draft = sub.add_parser(
        "draft", help="draft the true turns of audio files from their speech, as CSV"
    )
    draft.add_argument("files", nargs="+", metavar="FILE", help="audio files")
    draft.add_argument(
        "--bridge-ms",
        type=float,
        default=500.0,
        help="pauses shorter than this stay inside a turn (default: 500)",
    )
    draft.add_argument(
        "--words", action="store_true", help="also recognise words offline (pocketsphinx)"
    )
    draft.add_argument("--out-dir", help="folder for the CSV files (default: beside each file)")
    draft.add_argument("--force", action="store_true", help="replace existing CSV files")
    draft.set_defaults(func=_cmd_draft)

    bench = sub.add_parser(
        "benchmark",
        help="eot-bench operating points of several detectors on the same clips and spans",
        description="Score emulated server_vad (a grid), semantic_vad (eagerness), client-side "
        "Smart Turn (eot-bench's policy grid) and a silence-only VAD baseline at every silence "
        "of at least 100 ms inside true turns, as eot-bench does, and print the operating "
        "points: false cut-offs at 300 / 600 ms latency, latency at 5 / 10 %% false cut-offs.",
    )
    bench.add_argument(
        "files", nargs="*", metavar="FILE", help="audio files (default: the shipped clips)"
    )
    bench.add_argument(
        "--truth", nargs="+", help="one truth file per FILE (default: found beside each FILE)"
    )
    bench.add_argument(
        "--clips", default="*", help="pattern of shipped clip names when no FILE is given"
    )
    bench.add_argument(
        "--detectors",
        default="server_vad,semantic_vad,smart_turn,vad_baseline",
        help="comma-separated detectors (default %(default)s)",
    )
    bench.add_argument("--out", help="folder for benchmark.csv, operating_points.csv and .png")
    bench.set_defaults(func=_cmd_benchmark)

    serve = sub.add_parser(
        "serve",
        help="run the local Realtime-protocol server",
        description="Run the local Realtime-protocol server (the turn-detection emulator) "
        "until Ctrl-C. Limits per connection keep one client from starving the others: a "
        "message over --max-message-mib closes its connection (websocket code 1009); an "
        "append with more audio than --max-append-mib, or beyond --max-buffer-s of "
        "uncommitted audio with turn_detection null, gets an `error` event "
        "(invalid_request_error) and the connection stays open. Audio is scored in 0.5 s "
        "slices shared fairly between connections; a client that disconnects has its queued "
        "work dropped.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1 (loopback)")
    serve.add_argument("--port", type=int, default=8765, help="default 8765; 0 picks one")
    serve.add_argument("--allow-remote", action="store_true", help="allow a non-loopback bind")
    serve.add_argument(
        "--emulator-options",
        metavar="FILE",
        help="EmulatorOptions JSON (e.g. saved by rtlab.calibrate) for every connection",
    )
    serve.add_argument(
        "--max-message-mib",
        type=float,
        default=2.0,
        help="largest websocket message read, MiB (default 2; the API takes 15)",
    )
    serve.add_argument(
        "--max-append-mib",
        type=float,
        default=1.0,
        help="most audio per input_audio_buffer.append, MiB decoded (default 1 = 21.8 s pcm16)",
    )
    serve.add_argument(
        "--max-buffer-s",
        type=float,
        default=120.0,
        help="most uncommitted audio a connection holds, seconds (default 120)",
    )
    serve.add_argument(
        "--batch-wait-ms",
        type=float,
        default=2.0,
        help="longest wait for other sessions' frames before a Silero batch runs, ms "
        "(default %(default)g; -1 scores each session one frame per call, the old path)",
    )
    serve.add_argument(
        "--response-speed",
        type=float,
        default=1.0,
        help="how fast answers' audio is sent, times real time (default %(default)g; "
        "0 sends it as fast as the client reads)",
    )
    serve.set_defaults(func=_cmd_serve)

    from rtlab.probe import add_probe_command

    add_probe_command(sub)

    record = sub.add_parser("record", help="record the live API's events for an audio file")
    record.add_argument("file", help="audio file to stream")
    record.add_argument("--session", required=True, help="session JSON to send")
    record.add_argument("--out", required=True, help="event log to write (JSONL)")
    record.add_argument(
        "--api", choices=["beta", "ga"], default="ga", help="API shape (default ga)"
    )
    record.add_argument(
        "--model",
        default=None,
        help="realtime model (default gpt-realtime for ga, gpt-4o-realtime-preview for beta)",
    )
    record.add_argument("--fast", action="store_true", help="stream faster than real time")
    record.add_argument(
        "--base-url", default=None, help="websocket base URL, e.g. of `rtlab serve`"
    )
    record.add_argument(
        "--allow-insecure",
        action="store_true",
        help="send the key over plain ws:// to a non-loopback --base-url (clear text)",
    )
    record.set_defaults(func=_cmd_record)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``rtlab`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except RtlabError as error:
        print(f"rtlab: error: {error}", file=sys.stderr)
        return 1
    except OSError as error:  # a missing or unreadable file named on the command line
        print(f"rtlab: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
