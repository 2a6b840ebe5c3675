"""The logic gates of two bits: the one truth table of every generator and oracle."""

#: Every gate ``y = gate(a, b)`` of two bits ``a``, ``b`` (ints or int arrays).
GATES = {
    "and": lambda a, b: a & b,
    "or": lambda a, b: a | b,
    "xor": lambda a, b: a ^ b,
    "nand": lambda a, b: 1 - (a & b),
    "nor": lambda a, b: 1 - (a | b),
    "xnor": lambda a, b: 1 - (a ^ b),
    "copy": lambda a, b: 2 * a + b,
    "sum": lambda a, b: a + b,
    "unique_1": lambda a, b: a,
    "unique_2": lambda a, b: b,
    "redundant": lambda a, b: a,
}

#: Names accepted by :func:`make_bitwise`.
BITWISE_GATES = tuple(GATES)

#: Gates of two bits allowed in :func:`make_boolean_mixture`.
BOOLEAN_GATES = {
    name: GATES[name] for name in ("and", "or", "xor", "nand", "nor", "xnor")
}
