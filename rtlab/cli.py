"""The ``rtlab`` command line.

::

    rtlab demo [--out out]                       the turn-detection tuning walkthrough, headless
    rtlab session validate FILE.json             print the normalised session, or the error (exit 1)
    rtlab session show [--preset NAME] [--api beta|ga]
    rtlab datasets                               the shipped clips
    rtlab detect FILE --session S.json [--plot out.png] [--out log.jsonl]
    rtlab sweep [--clips PATTERN] [--threshold 0.3,0.5] [--silence 300,500] [--out table.csv]
    rtlab serve [--host 127.0.0.1] [--port 8765] local Realtime-protocol server (emulator)
    rtlab record FILE --session S.json --out log.jsonl   the live API (needs OPENAI_API_KEY)

Every command exits with status 1 and a one-line message when rtlab rejects its input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rtlab.errors import RtlabError


def _floats(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def _ints(text: str) -> list[int]:
    return [int(float(part)) for part in text.split(",") if part.strip()]


_SWEEP_COLUMNS = [
    "false_cutoff_rate",
    "latency_ms_median",
    "missed_end_rate",
    "missed_turn_rate",
    "false_turns",
    "f1",
]


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

    session = presets.PRESETS[args.preset]() if args.preset else _load_session(None)
    print(json.dumps(session.to_event(api=args.api), indent=2))
    return 0


def _cmd_datasets(args: argparse.Namespace) -> int:
    from rtlab import datasets

    print(datasets.names().to_string(index=False))
    return 0


def _cmd_detect(args: argparse.Namespace) -> int:
    from rtlab.audio import load_audio
    from rtlab.turns import detect

    audio = load_audio(args.file)
    session = _load_session(args.session)
    log = detect(audio, session)
    if args.out:
        log.to_jsonl(args.out)
    print(log.turns().to_string(index=False))
    if args.plot:
        from rtlab import plot

        fig = plot.timeline(audio, log)
        fig.savefig(args.plot, dpi=120)
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from rtlab import datasets
    from rtlab._io import atomic_write
    from rtlab.sweeps import recommend, summarize, sweep

    clips = [clip for clip in datasets.load_all(args.clips) if clip.truth.speech_known]
    if not clips:
        raise RtlabError(message=f"No shipped clip with timed annotations matches {args.clips!r}.")
    grid = {
        "turn_detection.threshold": _floats(args.threshold),
        "turn_detection.silence_duration_ms": _ints(args.silence),
        "turn_detection.prefix_padding_ms": _ints(args.prefix),
    }
    table = sweep(clips, grid, base=_load_session(args.session), n_jobs=args.jobs)
    summary = summarize(table)
    shown = [c for c in summary.columns if c.startswith("param_")] + [
        c for c in _SWEEP_COLUMNS if c in summary.columns
    ]
    print(summary[shown].rename(columns=lambda c: c.rsplit(".", 1)[-1]).to_string(index=False))
    if args.out:
        with atomic_write(args.out) as handle:
            table.to_csv(handle, index=False)
    best = recommend(table, max_latency_ms=args.max_latency_ms)
    print(json.dumps(best.to_dict(), indent=2))
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

    parser = argparse.ArgumentParser(prog="rtlab", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run the turn-detection tuning walkthrough headless")
    demo.add_argument("--out", default="out", help="folder for plots and tables (default: out)")
    demo.add_argument("--quick", action="store_true", help="a smaller sweep")
    demo.add_argument("--no-notebook", action="store_true", help="skip executing notebook 03")
    demo.set_defaults(func=_cmd_demo)

    session = sub.add_parser("session", help="validate or show session configurations")
    session_sub = session.add_subparsers(dest="session_command", required=True)
    validate = session_sub.add_parser("validate", help="print the normalised session or the error")
    validate.add_argument("file")
    validate.set_defaults(func=_cmd_session_validate)
    show = session_sub.add_parser("show", help="print a session.update event")
    show.add_argument("--preset", choices=["api_defaults", "patient", "noisy_room", "telephony"])
    show.add_argument("--api", choices=["beta", "ga"], default="ga")
    show.set_defaults(func=_cmd_session_show)

    ds = sub.add_parser("datasets", help="list the shipped clips")
    ds.set_defaults(func=_cmd_datasets)

    detect = sub.add_parser("detect", help="emulate turn detection on an audio file")
    detect.add_argument("file")
    detect.add_argument("--session", help="session JSON (default: API defaults)")
    detect.add_argument("--out", help="write the event log as JSONL")
    detect.add_argument("--plot", help="write a timeline PNG")
    detect.set_defaults(func=_cmd_detect)

    sweep = sub.add_parser("sweep", help="sweep server_vad parameters over shipped clips")
    sweep.add_argument("--clips", default="*", help="clip name pattern (default: all timed clips)")
    sweep.add_argument("--session", help="base session JSON")
    sweep.add_argument("--threshold", default="0.3,0.5,0.7")
    sweep.add_argument("--silence", default="300,500,800,1200")
    sweep.add_argument("--prefix", default="300")
    sweep.add_argument("--jobs", type=int, default=1)
    sweep.add_argument(
        "--max-latency-ms",
        type=float,
        default=LATENCY_BUDGET_MS,
        help="latency budget for the recommendation, ms of median end-of-turn latency "
        "(default %(default)g, rtlab.sweeps.LATENCY_BUDGET_MS)",
    )
    sweep.add_argument("--out", help="write the tidy table as CSV")
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
    serve.set_defaults(func=_cmd_serve)

    from rtlab.probe import add_probe_command

    add_probe_command(sub)

    record = sub.add_parser("record", help="record the live API's events for an audio file")
    record.add_argument("file")
    record.add_argument("--session", required=True)
    record.add_argument("--out", required=True)
    record.add_argument("--api", choices=["beta", "ga"], default="ga")
    record.add_argument("--model", default=None)
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
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
