"""Reading a scenario's YAML safely: what a file may hold before anything is built from it.

``yaml.safe_load`` builds no objects but the plain ones, yet it still takes duplicate keys
(the last one silently wins), recurses once per nesting level (10,000 brackets are a
``RecursionError``) and shares aliased values, so that a "billion laughs" file of a few
hundred bytes becomes a billion values as soon as anything walks it. ``load_yaml`` refuses
all three while the document is composed, with the line and the field, and refuses bytes
that are not UTF-8 the same way.
"""

from __future__ import annotations

from typing import Any

import yaml

LINE = "__line__"  # the key under which every mapping keeps the line it starts on
KEY_LINES = "__key_lines__"  # ... and the line of each of its keys
MAX_BYTES = 10_000_000
MAX_DEPTH = 100  # scenarios nest a handful of levels; this stays far inside the recursion limit
MAX_VALUES = 1_000_000  # values in the document once its aliases are expanded
UNDECODABLE = "\ufffd"  # what an undecodable byte is read as


class LoadError(Exception):
    """A document the loader refuses; ``field`` is the dotted path of where ("" if none)."""

    def __init__(self, line: int, field: str, problem: str) -> None:
        super().__init__(f"{line}: {field + ': ' if field else ''}{problem}")
        self.line, self.field, self.problem = line, field, problem


class _Refused(yaml.MarkedYAMLError):
    # ``mark`` is either of PyYAML's two Mark classes (pure Python or libyaml's); both have a line
    def __init__(self, field: str, problem: str, mark: Any) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.field = field
        self.reason = problem
        self.line = mark.line + 1 if mark is not None else 1


class _ScenarioLoader(yaml.SafeLoader):
    """A SafeLoader that checks each node as it is composed and keeps the line of each mapping."""

    def __init__(self, text: str, undecodable_line: int | None) -> None:
        super().__init__(text)
        self.undecodable_line = undecodable_line
        self.labels: list[str | None] = []  # keys and indexes from the root to the node being composed
        self.sizes: dict[int, int] = {}  # id(node) -> values in it, aliases expanded

    def field(self) -> str:
        return ".".join(label for label in self.labels if label is not None)

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        # index is the key node of a mapping value, the position of a list item, None otherwise
        self.labels.append(index.value if isinstance(index, yaml.ScalarNode) else None if index is None else str(index))
        try:
            start = self.peek_event()
            if len(self.labels) > MAX_DEPTH:
                top = next((label for label in self.labels if label is not None), "")
                raise _Refused(top, f"nested deeper than {MAX_DEPTH} levels", start.start_mark)
            node = super().compose_node(parent, index)
            if isinstance(start, yaml.AliasEvent):
                if id(node) not in self.sizes:  # its anchor is still being composed
                    raise _Refused(self.field(), f"the alias *{start.anchor} is inside the value it names", start.start_mark)
            elif node is not None:
                self._check(node)
            return node
        finally:
            self.labels.pop()

    def _check(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.MappingNode):
            self._refuse_duplicate_keys(node)
        if isinstance(node, yaml.ScalarNode) and self._holds_the_undecodable_byte(node):
            raise _Refused(self.field(), "not UTF-8: a byte here cannot be decoded", node.start_mark)
        size = 1 + sum(self.sizes[id(child)] for child in _children(node))
        if size > MAX_VALUES:
            raise _Refused(self.field(), f"expands to more than {MAX_VALUES} values through its aliases", node.start_mark)
        self.sizes[id(node)] = size

    def _refuse_duplicate_keys(self, node: yaml.MappingNode) -> None:
        first_of: dict[tuple[str, str], yaml.ScalarNode] = {}
        for key, _ in node.value:
            if not isinstance(key, yaml.ScalarNode) or key.tag == "tag:yaml.org,2002:merge":
                continue  # "<<" may repeat, and the keys it merges may be overridden
            first = first_of.setdefault((key.tag, key.value), key)
            if first is not key:
                field = ".".join(filter(None, [self.field(), key.value]))
                raise _Refused(field, f"duplicate key (first on line {first.start_mark.line + 1})", key.start_mark)

    def _holds_the_undecodable_byte(self, node: yaml.ScalarNode) -> bool:
        line = self.undecodable_line
        return line is not None and UNDECODABLE in node.value and node.start_mark.line < line <= node.end_mark.line + 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        mapping = super().construct_mapping(node, deep=deep)
        key_lines = {self.construct_object(key): key.start_mark.line + 1 for key, _ in node.value}
        mapping[LINE], mapping[KEY_LINES] = node.start_mark.line + 1, key_lines
        return mapping


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return node.value
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def load_yaml(raw: str | bytes) -> Any:
    """The document in ``raw``, every mapping with its line under ``LINE`` and its keys' under
    ``KEY_LINES``; or ``LoadError``."""
    if len(raw) > MAX_BYTES:
        raise LoadError(1, "", f"{len(raw)} bytes is more than the {MAX_BYTES} a scenario may have")
    text, undecodable_line = _decode(raw)
    loader = _ScenarioLoader(text, undecodable_line)
    try:
        data = loader.get_single_data()
    except _Refused as exc:
        raise LoadError(exc.line, exc.field, exc.reason) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise LoadError(mark.line + 1 if mark else 1, loader.field(), f"not valid YAML: {problem}") from None
    finally:
        loader.dispose()
    if undecodable_line is not None:  # the byte was in a comment, or between values
        raise LoadError(undecodable_line, "", "not UTF-8: a byte on this line cannot be decoded")
    return data


def _decode(raw: str | bytes) -> tuple[str, int | None]:
    """The text, and the line of the first byte that is not UTF-8 (read as U+FFFD) if any."""
    if isinstance(raw, str):
        return raw, None
    try:
        return raw.decode("utf-8"), None
    except UnicodeDecodeError as exc:
        return raw.decode("utf-8", errors="replace"), raw[: exc.start].count(b"\n") + 1
