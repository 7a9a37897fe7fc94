"""Whether a release email is still wanted and still current when it goes, read with the worker's claim.

The worker keeps the release it is sending between messages (kept_release); the read just before DATA
names the release's version, and a message built from an older one is built again. These columns and
joins are the release kind's contribution to that read (READS), so it costs no query of its own.
"""

import time
from dataclasses import dataclass

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from press.distribution.models import Distribution
from press.extensions import db
from press.outbox.kinds import Reads
from press.outbox.models import Delivery
from press.releases.models import Release, ReleaseEvent, Status

# A worker's session keeps the release it is sending between messages; it is reloaded at once when the
# release changed (an edit, an attachment), and at least this often for anything the version does not show.
RELEASE_CACHE_SECONDS = 30.0
# A release's every change updates it or adds to its history, so these three columns name its version.
_LATEST_CHANGE = select(func.max(ReleaseEvent.id)).where(ReleaseEvent.release_id == Release.id).scalar_subquery()
RELEASE_VERSION = select(Release.id, Release.updated_at, _LATEST_CHANGE).where(Release.id == bindparam("release_id"))
READS = Reads(
    (Distribution.id.label("distribution_id"), Distribution.cancelled_at, Release.id.label("release_id"),
     Release.status.label("release_status"), Release.updated_at.label("release_updated_at"),
     _LATEST_CHANGE.label("release_change")),
    ((Distribution, Distribution.id == Delivery.distribution_id), (Release, Release.id == Distribution.release_id)),
)


def unwanted(held: Row, delivery: Delivery) -> str | None:  # noqa: ARG001 - the kind's check takes both
    """Why a release email must not go now: its distribution was cancelled or the release withdrawn.

    Read from the worker's last read of its claim before DATA (READS), so no query of its own.
    """
    if held.distribution_id is None or held.cancelled_at is not None:
        return "Cancelled before it was sent."
    if held.release_status != Status.FINAL:
        return "Not sent: the release was withdrawn."
    return None


def current(held: Row, delivery: Delivery) -> bool:
    """Whether the message was built from the release as the database has it now (else it is built again).

    Every change to a release updates it or adds to its history, so these three columns name its version.
    """
    entry = _kept(db.session).get(delivery.distribution_id)
    if entry is not None and entry.version == (held.release_id, held.release_updated_at, held.release_change):
        return True
    if entry is not None:
        entry.loaded_at = float("-inf")  # reloaded at once
    return False


@dataclass
class KeptRelease:
    """A distribution's release as one session keeps it between messages, with the version it was loaded at."""

    release: Release
    version: tuple
    loaded_at: float


def _kept(session: Session) -> dict[int, KeptRelease]:
    return session.info.setdefault("kept_releases", {})


def kept_release(session: Session, distribution_id: int) -> Release:
    """The release a distribution sends, loaded with its attachments and contact and then kept a while.

    It is loaded again once the worker finds its version moved on (current()), and at least every
    RELEASE_CACHE_SECONDS for what the version does not show, such as the media contact's details.
    """
    kept = _kept(session)
    entry = kept.get(distribution_id)
    if entry is not None and time.monotonic() - entry.loaded_at < RELEASE_CACHE_SECONDS:
        return entry.release
    if entry is not None:
        # The release, its attachments and its media contact all come from the database again.
        session.expire_all()
    release_id = session.scalar(select(Distribution.release_id).where(Distribution.id == distribution_id))
    # The version is read first: an edit made between the two reads shows as a newer version, not an older.
    version = tuple(session.execute(RELEASE_VERSION, {"release_id": release_id}).one())
    release = session.get(Release, release_id)
    _ = list(release.attachments), release.contact.name
    kept[distribution_id] = KeptRelease(release, version, time.monotonic())
    return release
