"""Credentials kept in the database, sealed: Fernet under CONNECTIONS_KEY, which never enters the
database. The first key seals; every key opens, so a key is rotated by putting the new one first,
resealing (`manage.py thulium_system rekey`) and then dropping the old one.

A key is any long random string: the Fernet key is derived from it (SHA-256), so an operator
never has to produce Fernet's own base64 format.
"""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class SealingKeyMissing(Exception):
    """CONNECTIONS_KEY is not set: no credential can be sealed or opened."""


class SealBroken(Exception):
    """A sealed value opens under none of the keys: a key was dropped too early, or the value
    was altered."""


def _fernet(text: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(text.encode("utf-8")).digest()))


def _keys() -> MultiFernet:
    keys = [key for key in settings.CONNECTIONS_KEY if key]
    if not keys:
        raise SealingKeyMissing
    return MultiFernet([_fernet(key) for key in keys])


def seal(secret: str) -> str:
    return _keys().encrypt(secret.encode("utf-8")).decode("ascii")


def unseal(sealed: str) -> str:
    try:
        return _keys().decrypt(sealed.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError) as error:
        raise SealBroken from error


def reseal(sealed: str) -> str:
    """The same secret sealed under the first key."""
    try:
        return _keys().rotate(sealed.encode("ascii")).decode("ascii")
    except (InvalidToken, UnicodeError) as error:
        raise SealBroken from error
