"""Placeholder replaced below."""

from dataclasses import dataclass

from admin_app.choices import Role


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role


DEMO_ACCOUNTS: list[DemoAccount] = []


def build_demo(session, scale="township", random_seed=2026):
    return {}
