from __future__ import annotations

from datetime import UTC, date, datetime, time

#: The first day the chain can record: its timestamps are unsigned Unix seconds.
EPOCH = date(1970, 1, 1)
#: The first day a monitoring period may start (the registry contract's PERIOD_FLOOR).
PERIOD_FLOOR = date(2000, 1, 1)


def now() -> datetime:
    return datetime.now(UTC)


def day_start(day: date) -> int:
    """Unix seconds of 00:00 UTC on `day`."""
    return int(datetime.combine(day, time(0), tzinfo=UTC).timestamp())


def from_unix(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC (SQLite hands back naive datetimes; they were written in UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()
