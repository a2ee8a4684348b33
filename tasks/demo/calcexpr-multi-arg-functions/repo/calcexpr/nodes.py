"""Syntax tree nodes."""

from dataclasses import dataclass
from typing import Union


@dataclass(frozen=True)
class Number:
    value: Union[int, float]


@dataclass(frozen=True)
class Name:
    id: str


@dataclass(frozen=True)
class UnaryOp:
    op: str
    operand: object


@dataclass(frozen=True)
class BinOp:
    op: str
    left: object
    right: object


@dataclass(frozen=True)
class Call:
    """``func(arg)``."""

    func: str
    arg: object


@dataclass(frozen=True)
class Assign:
    """``name = value`` (only valid as a whole statement)."""

    name: str
    value: object
