"""Recording, transcription and external streams."""

from __future__ import annotations

from typing import Annotated

import typer

from .._client import AsyncRed5Client
from .._models import (
    ActionResult,
    ExternalStreams,
    RecordingResult,
    TranscriptionResult,
    Transcripts,
)
from ._output import (
    JsonOption,
    format_ms,
    model_json,
    plural,
    print_action,
    print_fields,
    print_json,
    print_message,
    print_table,
)
from ._settings import CliSettings, connection_options, run_with_client

__all__ = ["register_media_commands"]

RoomArgument = Annotated[str, typer.Argument(help="The room id.", show_default=False)]
UserArgument = Annotated[
    str,
    typer.Argument(help="The user who receives the transcription.", show_default=False),
]
StreamArgument = Annotated[
    str, typer.Argument(help="The external stream's id.", show_default=False)
]

recording_app = typer.Typer(
    help="Start or stop recording a room.", no_args_is_help=True
)
transcription_app = typer.Typer(
    help="Start or stop a room's live transcription for a user.", no_args_is_help=True
)
streams_app = typer.Typer(
    help="List, add and remove external streams shown in rooms.", no_args_is_help=True
)


def register_media_commands(app: typer.Typer) -> None:
    """Add the recording, transcription and stream commands to `app`."""
    app.add_typer(recording_app, name="recording")
    app.add_typer(transcription_app, name="transcription")
    app.command("transcripts")(show_transcripts)
    app.add_typer(streams_app, name="streams")


@recording_app.command("start")
@connection_options
def start_recording(
    settings: CliSettings, room: RoomArgument, json_output: JsonOption = False
) -> None:
    """Start recording a room. Exits with 1 if a recording is already running."""

    async def start(client: AsyncRed5Client) -> RecordingResult:
        return await client.start_recording(room)

    _print_recording(run_with_client(settings, start), json_output)


@recording_app.command("stop")
@connection_options
def stop_recording(
    settings: CliSettings, room: RoomArgument, json_output: JsonOption = False
) -> None:
    """Stop recording a room. Exits with 1 if no recording is running."""

    async def stop(client: AsyncRed5Client) -> RecordingResult:
        return await client.stop_recording(room)

    _print_recording(run_with_client(settings, stop), json_output)


def _print_recording(result: RecordingResult, json_output: bool) -> None:
    if json_output:
        print_json(model_json(result))
        return
    print_fields(
        result.message or "Recording",
        [
            ("Stream name", result.recording_stream_name),
            ("Participants", result.participant_count),
            ("Origin", result.origin_ip),
            ("Mixer stopped", result.mixer_stopped),
        ],
    )


@transcription_app.command("start")
@connection_options
def start_transcription(
    settings: CliSettings,
    room: RoomArgument,
    user: UserArgument,
    json_output: JsonOption = False,
) -> None:
    """Start transcribing a room for a user."""

    async def start(client: AsyncRed5Client) -> TranscriptionResult:
        return await client.start_transcription(room, user)

    _print_transcription(run_with_client(settings, start), json_output)


@transcription_app.command("stop")
@connection_options
def stop_transcription(
    settings: CliSettings,
    room: RoomArgument,
    user: UserArgument,
    json_output: JsonOption = False,
) -> None:
    """Stop transcribing a room for a user."""

    async def stop(client: AsyncRed5Client) -> TranscriptionResult:
        return await client.stop_transcription(room, user)

    _print_transcription(run_with_client(settings, stop), json_output)


def _print_transcription(result: TranscriptionResult, json_output: bool) -> None:
    if json_output:
        print_json(model_json(result))
        return
    streams = ", ".join(str(stream) for stream in result.successful_streams)
    print_message(result.message or "Done.")
    print_fields(
        "Transcription",
        [
            ("Streams", streams or None),
            ("Participants", result.total_participants),
        ],
    )


@connection_options
def show_transcripts(
    settings: CliSettings,
    room: RoomArgument,
    start: Annotated[
        int | None,
        typer.Option(
            "--start",
            help="The earliest entry to show, Unix milliseconds.",
            show_default=False,
        ),
    ] = None,
    end: Annotated[
        int | None,
        typer.Option(
            "--end",
            help="The latest entry to show, Unix milliseconds.",
            show_default=False,
        ),
    ] = None,
    json_output: JsonOption = False,
) -> None:
    """Show a room's transcript entries, oldest first."""

    async def fetch(client: AsyncRed5Client) -> Transcripts:
        return await client.get_transcriptions(room, start, end)

    transcripts = run_with_client(settings, fetch)
    entries = transcripts.entries
    if json_output:
        print_json({"entries": [model_json(entry) for entry in entries]})
        return
    print_table(
        f"Transcript of {room.strip()}",
        ["Time", "User", "Text"],
        [(format_ms(entry.timestamp), entry.uid, entry.text) for entry in entries],
        caption=f"{plural(len(entries), 'entry', 'entries')}.",
    )


@streams_app.command("list")
@connection_options
def list_streams(settings: CliSettings, json_output: JsonOption = False) -> None:
    """List the account's external streams and the rooms they are shown in."""

    async def fetch(client: AsyncRed5Client) -> ExternalStreams:
        return await client.get_external_streams()

    streams = run_with_client(settings, fetch).streams
    if json_output:
        print_json({"streams": [model_json(stream) for stream in streams]})
        return
    print_table(
        "External streams",
        ["Room", "Stream"],
        [(stream.room_id, stream.stream_id) for stream in streams],
        caption=f"{plural(len(streams), 'stream')}.",
    )


@streams_app.command("add")
@connection_options
def add_stream(
    settings: CliSettings,
    room: RoomArgument,
    stream: StreamArgument,
    json_output: JsonOption = False,
) -> None:
    """Show an external stream in a room."""

    async def add(client: AsyncRed5Client) -> ActionResult:
        return await client.add_external_stream(room, stream)

    print_action(run_with_client(settings, add), json_output)


@streams_app.command("remove")
@connection_options
def remove_stream(
    settings: CliSettings,
    room: RoomArgument,
    stream: StreamArgument,
    json_output: JsonOption = False,
) -> None:
    """Remove an external stream from a room."""

    async def remove(client: AsyncRed5Client) -> ActionResult:
        return await client.remove_external_stream(room, stream)

    print_action(run_with_client(settings, remove), json_output)
