"""Deterministic transcript entries for rooms that are being transcribed.

While at least one user of a room receives a transcription, the room gets one
entry every `INTERVAL_MS` of emulator time. Speakers take turns in join
order among the online publishers and admins whose audio is on. A tick when
no participant can speak produces no entry. The text cycles through `PHRASES`. The
same clock readings and the same joins therefore always give the same
transcript, which lets tests assert on it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["INTERVAL_MS", "PHRASES", "Transcript", "TranscriptEntry"]

INTERVAL_MS = 5_000
# A jump of the clock far into the future would otherwise create millions of
# entries. So only the most recent ticks of a jump produce entries, and a room
# keeps at most this many entries, dropping the oldest.
MAX_ENTRIES = 10_000
PHRASES = (
    "Good morning, everyone.",
    "Can you all hear me clearly?",
    "Let us start with the first item on the agenda.",
    "I will share my screen in a moment.",
    "The numbers for this quarter look better than expected.",
    "Does anyone have a question so far?",
    "Let us take that offline and follow up by email.",
    "Thank you, that is all from my side.",
)


@dataclass(frozen=True, slots=True)
class TranscriptEntry:
    """One transcribed utterance.

    Attributes:
        entry_id: The entry's sequence number; later entries of a room have
            higher numbers.
        uid: The speaker's user id.
        text: The transcribed text.
        timestamp: When it was spoken, Unix milliseconds.
    """

    entry_id: int
    uid: str
    text: str
    timestamp: int

    def to_json(self) -> dict[str, Any]:
        """Return the entry as the conference API sends it."""
        return {
            "id": self.entry_id,
            "uid": self.uid,
            "text": self.text,
            "timestamp": self.timestamp,
        }


class Transcript:
    """A room's transcript and the time of its next entry, if it is running."""

    def __init__(self) -> None:
        self.entries: list[TranscriptEntry] = []
        self._next_tick_ms: int | None = None
        self._sequence = 0

    @property
    def running(self) -> bool:
        """Whether entries are being produced."""
        return self._next_tick_ms is not None

    def start(self, now_ms: int) -> None:
        """Start producing entries; the first comes one interval after `now_ms`."""
        if self._next_tick_ms is None:
            self._next_tick_ms = now_ms + INTERVAL_MS

    def stop(self) -> None:
        """Stop producing entries; call `catch_up` first to keep the last ones."""
        self._next_tick_ms = None

    def catch_up(self, now_ms: int, speakers: Iterable[str]) -> None:
        """Produce the entries due up to `now_ms`, spoken by `speakers`."""
        if self._next_tick_ms is None or self._next_tick_ms > now_ms:
            return

        speaker_ids = list(speakers)
        due = (now_ms - self._next_tick_ms) // INTERVAL_MS + 1
        skipped = max(0, due - MAX_ENTRIES)
        self._sequence += skipped
        tick = self._next_tick_ms + skipped * INTERVAL_MS

        while tick <= now_ms:
            if speaker_ids:
                self._append(tick, speaker_ids)
            tick += INTERVAL_MS
        self._next_tick_ms = tick
        del self.entries[:-MAX_ENTRIES]

    def select(self, start_ms: int | None, end_ms: int | None) -> list[TranscriptEntry]:
        """Return the entries from `start_ms` to `end_ms`, both inclusive."""
        return [
            entry
            for entry in self.entries
            if (start_ms is None or entry.timestamp >= start_ms)
            and (end_ms is None or entry.timestamp <= end_ms)
        ]

    def _append(self, tick: int, speaker_ids: list[str]) -> None:
        sequence = self._sequence
        self._sequence += 1
        speaker = speaker_ids[sequence % len(speaker_ids)]
        text = PHRASES[sequence % len(PHRASES)]
        self.entries.append(TranscriptEntry(sequence, speaker, text, tick))
