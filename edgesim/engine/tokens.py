"""IAM tokens of the simulated cloud: issued at login, valid for 24 simulated hours.

A token is random (it is a secret, so it comes from ``secrets``, not from the seed). The book
keeps the SHA-256 of each token in memory and in the store, so a restarted server still
accepts the tokens it issued and the database never holds a usable one. Expiry is measured
on the simulation clock: advancing a virtual clock by a day expires every token.
"""

from __future__ import annotations

import hashlib
import secrets

from edgesim.domain.models import Token
from edgesim.engine.clock import Clock
from edgesim.store.sqlite import Delete, Put, Store

TOKEN_LIFETIME = 24 * 3600.0  # IAM's documented validity
KIND = "token"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenBook:
    def __init__(self, clock: Clock, store: Store) -> None:
        self.clock = clock
        self.store = store
        self._tokens: dict[str, Token] = {}

    def load(self, token: Token) -> None:
        """Take a stored token back (start-up); an expired one is dropped from the store too."""
        if token.expires_at > self.clock.now():
            self._tokens[token.id] = token
        else:
            self.store.submit([Delete(KIND, token.id)])

    def forget_all(self) -> None:
        """Drop every token (a reset: clients log in again; the store was wiped already)."""
        self._tokens.clear()

    async def issue(self, *, project_id: str, domain: str, user: str) -> tuple[str, Token]:
        """A new token (returned once, never stored in clear) and its record, once committed."""
        value = "MII" + secrets.token_urlsafe(96)  # real IAM tokens are long and start with MII
        now = self.clock.now()
        record = Token(id=digest(value), project_id=project_id, domain=domain, user=user,
                       issued_at=now, expires_at=now + TOKEN_LIFETIME)
        await self.store.commit([Put(KIND, record.id, record.to_dict())])
        self._tokens[record.id] = record
        return value, record

    def find(self, value: str) -> Token | None:
        """The record of a token still valid now, or None (unknown or expired)."""
        record = self._tokens.get(digest(value))
        if record is None or record.expires_at <= self.clock.now():
            return None
        return record
