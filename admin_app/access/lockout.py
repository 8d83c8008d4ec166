"""Login lockout: failed logins lock an account, and a client address, for a while.

等保 2.0 level 2 asks for a limit on failed logins. After ``LOGIN_MAX_FAILURES``
consecutive failures an account is locked for ``LOGIN_LOCK_MINUTES``; each further lock
in a row doubles the time (up to ``LOGIN_MAX_LOCK_HOURS``), so a slow guesser gets ever
fewer tries. A client address is locked the same way after ``LOGIN_IP_MAX_FAILURES``
failures over any accounts, known or not — that stops one machine trying one password
on every account. The address limit is twice the account's so that a user who mistypes
their own password locks their account, not the office computer, first.

A success resets the counters of the account and of the address; an administrator can
unlock an account at once (用户 → 解除锁定). While locked, attempts are refused without
looking at the password and are not counted, so a lock cannot be extended by hammering.

These are plain functions over the session and the clock; ``auth.authenticate`` calls them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..models import LoginThrottle, User


@dataclass(frozen=True)
class LockoutPolicy:
    max_failures: int = 5
    ip_max_failures: int = 10
    lock_minutes: int = 15
    max_lock_hours: int = 24

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> LockoutPolicy:
        return cls(
            max_failures=int(config.get("LOGIN_MAX_FAILURES", cls.max_failures)),
            ip_max_failures=int(config.get("LOGIN_IP_MAX_FAILURES", cls.ip_max_failures)),
            lock_minutes=int(config.get("LOGIN_LOCK_MINUTES", cls.lock_minutes)),
            max_lock_hours=int(config.get("LOGIN_MAX_LOCK_HOURS", cls.max_lock_hours)),
        )

    @property
    def window(self) -> dt.timedelta:
        """The period over which unknown-username failures are summed for the audit log."""
        return dt.timedelta(minutes=self.lock_minutes)

    def lock_length(self, lockouts: int) -> dt.timedelta:
        """The n-th lock in a row (1 = first): the base length, doubled each time, capped."""
        minutes = self.lock_minutes * 2 ** max(0, min(lockouts - 1, 16))
        return min(dt.timedelta(minutes=minutes), dt.timedelta(hours=self.max_lock_hours))


def is_locked(locked_until: dt.datetime | None, now: dt.datetime) -> bool:
    return locked_until is not None and locked_until > now


def active_lock(
    user: User | None, throttle: LoginThrottle | None, now: dt.datetime
) -> dt.datetime | None:
    """Until when a login for this account from this address is refused (None: it is not)."""
    locks = [
        until
        for until in (
            user.locked_until if user is not None else None,
            throttle.locked_until if throttle is not None else None,
        )
        if is_locked(until, now)
    ]
    return max(locks) if locks else None


def throttle_of(session: Session, ip: str, *, create: bool = False) -> LoginThrottle | None:
    """The address's counters; with ``create``, a new row if there is none.

    Two first failures from one address at once would both insert: the loser's savepoint
    is rolled back and it reads the winner's row, so neither request fails.
    """
    throttle = session.get(LoginThrottle, ip)
    if throttle is not None or not create:
        return throttle
    try:
        with session.begin_nested():
            throttle = LoginThrottle(ip=ip, failures=0, lockouts=0, unknown_count=0)
            session.add(throttle)
    except IntegrityError:
        throttle = session.get(LoginThrottle, ip, populate_existing=True)
    return throttle


def _fail(
    counters: User | LoginThrottle, limit: int, policy: LockoutPolicy, now: dt.datetime
) -> dt.datetime | None:
    """Count one failure on an account's or an address's counters; lock at the limit."""
    failures = (counters.failed_logins if isinstance(counters, User) else counters.failures) or 0
    failures += 1
    locked = None
    if failures >= limit:
        counters.lockouts = (counters.lockouts or 0) + 1
        locked = now + policy.lock_length(counters.lockouts)
        counters.locked_until = locked
        failures = 0
    if isinstance(counters, User):
        counters.failed_logins = failures
        counters.last_failed_login_at = now
    else:
        counters.failures = failures
        counters.last_failure_at = now
    return locked


@dataclass
class Failure:
    """What one failed login changed: new locks, and the unknown-name summary to log."""

    account_locked_until: dt.datetime | None = None
    ip_locked_until: dt.datetime | None = None
    #: For an unknown username: log this attempt (the first of its window)?
    log_unknown: bool = True
    #: Unknown-name failures of the window just closed, to log as one summary (0: none).
    closed_window_count: int = 0
    closed_window_start: dt.datetime | None = None


def record_failure(
    session: Session,
    user: User | None,
    ip: str,
    policy: LockoutPolicy,
    now: dt.datetime,
) -> Failure:
    """Count a failed login against the account (if it exists) and the address."""
    result = Failure()
    if user is not None:
        result.account_locked_until = _fail(user, policy.max_failures, policy, now)
    throttle = throttle_of(session, ip, create=True)
    assert throttle is not None
    result.ip_locked_until = _fail(throttle, policy.ip_max_failures, policy, now)
    if user is None:
        window_open = throttle.unknown_since is not None and (
            now - throttle.unknown_since < policy.window
        )
        if window_open:
            throttle.unknown_count = (throttle.unknown_count or 0) + 1
            result.log_unknown = False
        else:
            if (throttle.unknown_count or 0) > 1:
                result.closed_window_count = throttle.unknown_count
                result.closed_window_start = throttle.unknown_since
            throttle.unknown_since = now
            throttle.unknown_count = 1
    return result


def record_success(session: Session, user: User, ip: str) -> None:
    """A good login clears the account's and the address's failures and lock history."""
    clear(user)
    throttle = throttle_of(session, ip)
    if throttle is not None:
        throttle.failures = 0
        throttle.lockouts = 0
        throttle.locked_until = None


def clear(user: User) -> None:
    """Unlock an account and forget its failures (an administrator's 解除锁定, or a login)."""
    user.failed_logins = 0
    user.lockouts = 0
    user.locked_until = None
