"""The listener every output implements: the recorder, the terminal views, the JSON-lines printer,
the dashboard and the sound are all sinks of a session (`kneadback.session.Session`)."""

from __future__ import annotations

from collections.abc import Sequence

from kneadback.model import DeviceInfo, Event, LinkStatus, Notice, SampleBlock


class Sink:
    """A listener. Override what you need; every method defaults to doing nothing."""

    def on_info(self, info: DeviceInfo) -> None:
        pass

    def on_block(self, block: SampleBlock) -> None:
        pass

    def on_events(self, events: Sequence[Event]) -> None:
        pass

    def on_status(self, status: LinkStatus) -> None:
        pass

    def on_notice(self, notice: Notice) -> None:
        pass

    def on_history(self, events: Sequence[Event]) -> None:
        """After a replay's state was rebuilt at a point (its start or a seek): the events of the
        session before that point, which the sinks did not hear. A view of the whole session (a
        history plot) takes them so it shows what an uninterrupted replay would; the rest ignore them."""

    def close(self) -> None:
        pass
