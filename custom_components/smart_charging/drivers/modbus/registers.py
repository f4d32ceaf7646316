"""Registers as data: where a value lives, how it is encoded, and the codec.

Addresses are 0-based protocol addresses (what goes on the wire), never the "4xxxx"
register numbers of some manuals. A register's ``scale`` turns the raw number into the
engineering unit its role expects (A, W, kWh, V, s, °C): ``value = raw * scale``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
import math
import struct
from typing import Final

MAX_ADDRESS: Final = 0xFFFF


class RegisterType(StrEnum):
    """The Modbus table a value lives in."""

    HOLDING = "holding"  # read 0x03, write 0x06 / 0x10
    INPUT = "input"  # read 0x04
    COIL = "coil"  # read 0x01, write 0x05
    DISCRETE = "discrete"  # read 0x02

    @property
    def is_bit(self) -> bool:
        """Return whether the table holds single bits."""
        return self in (RegisterType.COIL, RegisterType.DISCRETE)

    @property
    def writable(self) -> bool:
        """Return whether a client may write the table."""
        return self in (RegisterType.HOLDING, RegisterType.COIL)


class DataType(StrEnum):
    """How the 16-bit words of a value are to be read."""

    U16 = "u16"
    S16 = "s16"
    U32 = "u32"
    S32 = "s32"
    U64 = "u64"
    F32 = "f32"
    F64 = "f64"
    STRING = "string"  # ASCII, two characters per word, high byte first

    @property
    def is_float(self) -> bool:
        """Return whether the type is an IEEE 754 float."""
        return self in (DataType.F32, DataType.F64)


class WordOrder(StrEnum):
    """The order of the words of a multi-word number."""

    BIG = "big"  # most significant word first (the Modbus convention)
    LITTLE = "little"  # least significant word first ("word swap")


_WORDS: Final = {
    DataType.U16: 1,
    DataType.S16: 1,
    DataType.U32: 2,
    DataType.S32: 2,
    DataType.U64: 4,
    DataType.F32: 2,
    DataType.F64: 4,
}
_STRUCT: Final = {
    DataType.U16: ">H",
    DataType.S16: ">h",
    DataType.U32: ">I",
    DataType.S32: ">i",
    DataType.U64: ">Q",
    DataType.F32: ">f",
    DataType.F64: ">d",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Register:
    """One value in a charger's register map."""

    address: int
    kind: RegisterType = RegisterType.HOLDING
    data_type: DataType = DataType.U16
    scale: float = 1.0  # engineering value = raw * scale
    word_order: WordOrder = WordOrder.BIG
    length: int = 0  # words of a STRING

    def __post_init__(self) -> None:
        """Reject a register no charger could have."""
        if self.data_type is DataType.STRING:
            if not 1 <= self.length <= 125:
                raise ValueError(f"a string register needs 1 to 125 words: {self.length}")
        elif self.length:
            raise ValueError("length applies to string registers only")
        if self.kind.is_bit and self.data_type is not DataType.U16:
            raise ValueError("coils and discrete inputs hold single bits (data type u16)")
        if not math.isfinite(self.scale) or self.scale <= 0:
            raise ValueError(f"scale must be a positive number: {self.scale}")
        if self.address < 0 or self.address + self.count - 1 > MAX_ADDRESS:
            raise ValueError(f"address out of range: {self.address}")

    @property
    def count(self) -> int:
        """Return how many words (or bits) the value spans."""
        if self.kind.is_bit:
            return 1
        if self.data_type is DataType.STRING:
            return self.length
        return _WORDS[self.data_type]

    def decode(self, words: Sequence[int]) -> float | str:
        """Turn words read from the charger into the engineering value (or text)."""
        if len(words) != self.count:
            raise ValueError(f"expected {self.count} words at {self.address}, got {len(words)}")
        if self.kind.is_bit:
            return 1.0 if words[0] else 0.0
        if self.data_type is DataType.STRING:
            raw = b"".join(w.to_bytes(2, "big") for w in words)
            return raw.replace(b"\x00", b"").decode("ascii", errors="replace").strip()
        ordered = words if self.word_order is WordOrder.BIG else list(reversed(words))
        raw_bytes = b"".join(w.to_bytes(2, "big") for w in ordered)
        (number,) = struct.unpack(_STRUCT[self.data_type], raw_bytes)
        return float(number) * self.scale

    def encode(self, value: float) -> tuple[int, ...]:
        """Turn an engineering value into the words to write.

        Integer types round to the nearest raw step (callers quantize first); a value the
        type cannot hold raises ``ValueError``.
        """
        if self.kind.is_bit:
            return (1 if value else 0,)
        if self.data_type is DataType.STRING:
            raise ValueError("string registers are read-only here")
        raw = value / self.scale
        if not math.isfinite(raw):
            raise ValueError(f"cannot encode {value} at {self.address}")
        try:
            if self.data_type.is_float:
                packed = struct.pack(_STRUCT[self.data_type], raw)
            else:
                packed = struct.pack(_STRUCT[self.data_type], round(raw))
        except (struct.error, OverflowError) as err:
            raise ValueError(f"{value} does not fit {self.data_type} at {self.address}") from err
        words = [int.from_bytes(packed[i : i + 2], "big") for i in range(0, len(packed), 2)]
        if self.word_order is WordOrder.LITTLE:
            words.reverse()
        return tuple(words)
