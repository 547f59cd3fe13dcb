"""Product commands: create, delete, and registering a node with a product's credential.

A product is a batch node registration job (ief-api-more.md 4.4): pre-installed nodes that
present its identifier become nodes of its project, carrying its id. Deleting the product
invalidates the credential; nodes already registered stay.
"""

from __future__ import annotations

import base64
import gzip
import io
import tarfile
from typing import Any

from edgesim.domain.errors import DuplicateName, NotFound
from edgesim.domain.models import Node, Product
from edgesim.engine.core import Core
from edgesim.engine.nodes import Nodes


class BadCredential(Exception):
    """The product credential presented at registration is unknown, wrong or revoked."""


def key_material(product: Product) -> dict[str, str]:
    """The simulated certificate files handed out once, at creation, and their package."""
    files = {
        "private_key": f"-----BEGIN PRIVATE KEY-----\nedgesim-simulated-product-key-{product.id}\n-----END PRIVATE KEY-----\n",
        "certificate": f"-----BEGIN CERTIFICATE-----\nedgesim-simulated-product-cert-{product.id}\n-----END CERTIFICATE-----\n",
        "ca": "-----BEGIN CERTIFICATE-----\nedgesim-simulated-ca\n-----END CERTIFICATE-----\n",
    }
    return {**files, "package": _package(product.name, files)}


def _package(name: str, files: dict[str, str]) -> str:
    """base64 of a tar.gz of the three PEMs; fixed times, so the same product gives the same bytes."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for key, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{key}.pem")
            info.size, info.mtime, info.mode = len(data), 0, 0o600
            tar.addfile(info, io.BytesIO(data))
    return base64.b64encode(gzip.compress(raw.getvalue(), mtime=0)).decode()


class Products:
    def __init__(self, core: Core, nodes: Nodes) -> None:
        self.core = core
        self.nodes = nodes
        self.table: dict[str, Product] = core.world.tables["product"]  # type: ignore[assignment]

    def get(self, project_id: str, product_id: str) -> Product:
        product = self.table.get(product_id)
        if product is None or product.project_id != project_id:
            raise NotFound(f"product {product_id} not found")
        return product

    def of_project(self, project_id: str) -> list[Product]:
        return [p for p in self.table.values() if p.project_id == project_id]

    async def create(
        self, project_id: str, *, name: str, description: str, attributes: dict[str, Any], tags: list[dict[str, str]],
    ) -> Product:
        if any(p.name == name for p in self.of_project(project_id)):
            raise DuplicateName(f"product name {name!r} already exists", field="product.name")
        async with self.core.command() as change:
            product = Product(
                id=self.core.ids.next(), project_id=project_id, name=name, identifier=self.core.ids.next(),
                description=description, attributes=attributes, tags=tags, created_at=self.core.clock.now(),
            )
            change.touch(product)
            self.table[product.id] = product
            change.event(self.core.events.record("product.created", product_id=product.id, name=name))
        return product

    async def delete(self, project_id: str, product_id: str) -> None:
        product = self.get(project_id, product_id)
        async with self.core.command() as change:
            change.touch(product)
            del self.table[product.id]
            change.event(self.core.events.record("product.deleted", product_id=product.id))

    async def register(self, product_id: str, identifier: str, name: str, description: str = "") -> Node:
        """A pre-installed node presents the product's credential and becomes a node of the
        product's project (UNCONNECTED until its agent connects, as any registered node)."""
        product = self.table.get(product_id)
        if product is None or identifier != product.identifier:
            raise BadCredential(f"the credential of product {product_id} is unknown, wrong or revoked")
        return await self.nodes.register(product.project_id, name=name, description=description, product_id=product.id)
