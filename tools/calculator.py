"""A calculator evaluated on the syntax tree (never `eval`), exact wherever Python can be.

Integers stay integers; decimal literals and division are exact fractions (``0.1 + 0.2`` is
``0.3``, ``7/2`` is ``3.5``, ``1/3`` prints as a float with the exact fraction beside it).
Functions such as sqrt or sin give floats, except sqrt of a perfect square.  ``^`` means power.
Sizes are capped so that no input can make it run long or eat memory.
"""

from __future__ import annotations

import ast
import math
import re
import operator
from collections.abc import Callable
from fractions import Fraction
from numbers import Rational
from typing import Annotated, Any

from pydantic import Field

from tools.base import tool
from tools.errors import ToolExecutionError

MAX_EXPRESSION_CHARS = 500
MAX_NODES = 200
MAX_RESULT_BITS = 10_000  # about 3,000 decimal digits
MAX_FACTORIAL = 1000
MAX_LITERAL_EXPONENT = 3000  # 1e3000 is ~10,000 bits: at the result cap already
_EXPONENT = re.compile(r"[eE]([+-]?[0-9_]+)$")

Number = int | Fraction | float


class CalculatorError(ToolExecutionError):
    """The expression cannot be evaluated (syntax, unknown name, domain, size)."""


def _to_float(x: Number) -> float:
    try:
        return float(x)
    except OverflowError:
        raise CalculatorError("numeric overflow: the number is too large for a float") from None


def _sqrt(x: Number) -> Number:
    if isinstance(x, Rational) and x >= 0:
        num, den = Fraction(x).numerator, Fraction(x).denominator
        rn, rd = math.isqrt(num), math.isqrt(den)
        if rn * rn == num and rd * rd == den:
            return Fraction(rn, rd)
    return math.sqrt(_to_float(x))


def _log(x: Number, base: Number | None = None) -> float:
    value = x if isinstance(x, int) else _to_float(x)  # math.log takes huge ints directly
    if base is None:
        return math.log(value)
    if base == 10:
        return math.log10(value)
    if base == 2:
        return math.log2(value)
    return math.log(value, _to_float(base))


def _factorial(n: Number) -> int:
    if isinstance(n, Fraction) and n.denominator == 1:
        n = int(n)
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if not isinstance(n, int) or n < 0:
        raise CalculatorError("factorial needs a non-negative integer")
    if n > MAX_FACTORIAL:
        raise CalculatorError(f"factorial argument too large (at most {MAX_FACTORIAL})")
    return math.factorial(n)


def _round(x: Number, ndigits: int | None = None) -> Number:
    if ndigits is None:
        return round(x)
    if not isinstance(ndigits, int) or abs(ndigits) > 100:
        raise CalculatorError("round's second argument must be an integer between -100 and 100")
    return round(x, ndigits)


def _int_args(fn: Callable[..., int], name: str) -> Callable[..., int]:
    def wrapped(*args: Number) -> int:
        ints = []
        for a in args:
            if isinstance(a, Fraction) and a.denominator == 1:
                a = int(a)
            if not isinstance(a, int) or abs(a) > 10**6 and name in ("comb", "perm"):
                raise CalculatorError(f"{name} needs integers (comb/perm at most 1,000,000)")
            ints.append(a)
        if name in ("comb", "perm"):
            _check_counting_size(name, *ints)
        return fn(*ints)

    return wrapped


def _check_counting_size(name: str, n: int, k: int | None = None) -> None:
    """Refuse comb/perm whose result would pass the size cap before computing it (perm(10**6)
    alone takes seconds): the result has at most ``factors * bits(n)`` bits."""
    if n < 0 or (k is not None and (k < 0 or k > n)):
        return  # math.comb/perm answer these quickly (0, or a ValueError)
    k = n if k is None else k
    factors = min(k, n - k) if name == "comb" else k
    if factors * n.bit_length() > MAX_RESULT_BITS * 2:
        raise CalculatorError(f"result too large: {name}({n}, {k}) has far more than ~3000 digits")


def _float_fn(fn: Callable[..., float]) -> Callable[..., float]:
    return lambda *args: fn(*(_to_float(a) for a in args))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "sqrt": _sqrt,
    "cbrt": _float_fn(math.cbrt),
    "exp": _float_fn(math.exp),
    "log": _log,
    "ln": lambda x: _log(x),
    "log10": lambda x: _log(x, 10),
    "log2": lambda x: _log(x, 2),
    "sin": _float_fn(math.sin),
    "cos": _float_fn(math.cos),
    "tan": _float_fn(math.tan),
    "asin": _float_fn(math.asin),
    "acos": _float_fn(math.acos),
    "atan": _float_fn(math.atan),
    "atan2": _float_fn(math.atan2),
    "sinh": _float_fn(math.sinh),
    "cosh": _float_fn(math.cosh),
    "tanh": _float_fn(math.tanh),
    "degrees": _float_fn(math.degrees),
    "radians": _float_fn(math.radians),
    "hypot": _float_fn(math.hypot),
    "factorial": _factorial,
    "abs": abs,
    "round": _round,
    "floor": math.floor,
    "ceil": math.ceil,
    "min": min,
    "max": max,
    "gcd": _int_args(math.gcd, "gcd"),
    "lcm": _int_args(math.lcm, "lcm"),
    "comb": _int_args(math.comb, "comb"),
    "perm": _int_args(math.perm, "perm"),
}
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e, "tau": math.tau}

_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def _power(base: Number, exponent: Number) -> Number:
    if isinstance(exponent, Fraction) and exponent.denominator == 1:
        exponent = int(exponent)
    if isinstance(exponent, int) and isinstance(base, (int, Fraction)):
        size = abs(exponent) * max(_bits(base), 1)
        if size > MAX_RESULT_BITS and abs(base) not in (0, 1):
            raise CalculatorError("result too large: the exponent is too big (exact results are capped at ~3000 digits)")
        if exponent < 0 and base == 0:
            raise CalculatorError("division by zero (0 to a negative power)")
        return Fraction(base) ** exponent if exponent < 0 else base**exponent
    b, x = _to_float(base), _to_float(exponent)
    if b < 0 and not x.is_integer():
        raise CalculatorError("complex result: negative number to a fractional power")
    if b == 0 and x < 0:
        raise CalculatorError("division by zero (0 to a negative power)")
    return math.pow(b, x)


def _bits(x: int | Fraction) -> int:
    f = Fraction(x)
    return max(abs(f.numerator).bit_length(), f.denominator.bit_length())


class _Evaluator:
    def __init__(self) -> None:
        self.nodes = 0

    def eval(self, node: ast.AST) -> Number:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise CalculatorError(f"expression too complex (more than {MAX_NODES} parts)")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise CalculatorError(f"unsupported syntax: {type(node).__name__}")
        result = method(node)
        if isinstance(result, (int, Fraction)) and _bits(result) > MAX_RESULT_BITS:
            raise CalculatorError("result too large (exact results are capped at ~3000 digits)")
        if isinstance(result, complex):
            raise CalculatorError("complex result not supported")
        return result

    def _Expression(self, node: ast.Expression) -> Number:
        return self.eval(node.body)

    def _Constant(self, node: ast.Constant) -> Number:
        value = node.value
        if isinstance(value, bool) or not isinstance(value, (int, float, Fraction)):
            raise CalculatorError(f"only numbers are allowed, not {value!r}")
        return value

    def _Name(self, node: ast.Name) -> Number:
        if node.id in CONSTANTS:
            return CONSTANTS[node.id]
        known = ", ".join([*CONSTANTS, *FUNCTIONS])
        raise CalculatorError(f"unknown name {node.id!r}; known names: {known}")

    def _UnaryOp(self, node: ast.UnaryOp) -> Number:
        value = self.eval(node.operand)
        if isinstance(node.op, ast.USub):
            return -value
        if isinstance(node.op, ast.UAdd):
            return +value
        raise CalculatorError(f"unsupported operator {type(node.op).__name__}")

    def _BinOp(self, node: ast.BinOp) -> Number:
        left, right = self.eval(node.left), self.eval(node.right)
        if isinstance(node.op, ast.Pow):
            return _power(left, right)
        op = _BINARY.get(type(node.op))
        if op is None:
            raise CalculatorError(f"unsupported operator {type(node.op).__name__}")
        if isinstance(node.op, ast.Div) and isinstance(left, (int, Fraction)) and isinstance(right, (int, Fraction)):
            left = Fraction(left)
        return op(left, right)

    def _Call(self, node: ast.Call) -> Number:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise CalculatorError(f"unknown function {name!r}; available: {', '.join(FUNCTIONS)}")
        if node.keywords:
            raise CalculatorError("keyword arguments are not supported")
        args = [self.eval(a) for a in node.args]
        try:
            return FUNCTIONS[node.func.id](*args)
        except TypeError as exc:
            raise CalculatorError(f"wrong arguments for {node.func.id}: {exc}") from None
        except ValueError as exc:
            raise CalculatorError(f"math domain error in {node.func.id}: {exc}") from None


def _parse_number_literals(tree: ast.AST, source: str) -> None:
    """Make decimal literals exact: 0.1 becomes Fraction('0.1') (scientific notation too).

    Exponents are capped first: Fraction('1e9999999') alone takes seconds of CPU.
    """
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            text = ast.get_source_segment(source, node)
            exponent = _EXPONENT.search(text or "")
            if exponent and abs(int(exponent.group(1).replace("_", ""))) > MAX_LITERAL_EXPONENT:
                raise CalculatorError(
                    f"number too large: {text[:40]} (exponents are at most {MAX_LITERAL_EXPONENT})"
                )
            if text:
                try:
                    node.value = Fraction(text.replace("_", ""))  # type: ignore[assignment]
                except (ValueError, ZeroDivisionError):
                    pass


def evaluate(expression: str) -> Number:
    """Evaluate an arithmetic expression; raise CalculatorError with a clear message."""
    if len(expression) > MAX_EXPRESSION_CHARS:
        raise CalculatorError(f"expression too long ({len(expression)} characters, at most {MAX_EXPRESSION_CHARS})")
    # ``^`` is power with power's precedence ("pi * 11^2" is pi * 121): rewritten before parsing,
    # since Python would parse it as XOR, which binds looser than * and +.
    source = expression.strip().replace("×", "*").replace("÷", "/").replace("−", "-").replace("^", "**")
    if not source:
        raise CalculatorError("empty expression")
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        detail = getattr(exc, "msg", None) or str(exc) or type(exc).__name__
        raise CalculatorError(f"invalid expression: {detail}") from None
    _parse_number_literals(tree, source)
    try:
        return _Evaluator().eval(tree)
    except ZeroDivisionError:
        raise CalculatorError("division by zero") from None
    except OverflowError:
        raise CalculatorError("numeric overflow: the result is too large") from None
    except RecursionError:
        raise CalculatorError("expression nested too deeply") from None
    except ValueError as exc:  # e.g. int too large to convert to str, math domain
        raise CalculatorError(f"math error: {exc}") from None


def format_number(value: Number) -> str:
    """Print a result: ints exactly, short terminating fractions as exact decimals, else a float
    with the exact fraction beside it (when the fraction is short enough to be useful)."""
    if isinstance(value, Fraction):
        if value.denominator == 1:
            return str(value.numerator)
        digits = _terminating_digits(value.denominator)
        if digits is not None and digits <= 40:
            return _exact_decimal(value, digits)
        approx = _format_float(_to_float(value))
        exact = f"{value.numerator}/{value.denominator}"
        return f"{approx} (exactly {exact})" if len(exact) <= 200 else approx
    if isinstance(value, float):
        return _format_float(value)
    return str(value)


def _terminating_digits(denominator: int) -> int | None:
    """Decimal places of p/denominator when it terminates (denominator = 2^a 5^b), else None."""
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    return max(twos, fives) if denominator == 1 else None


def _exact_decimal(value: Fraction, digits: int) -> str:
    sign = "-" if value < 0 else ""
    scaled = abs(value.numerator) * 10**digits // value.denominator
    whole, frac = divmod(scaled, 10**digits)
    return f"{sign}{whole}." + str(frac).rjust(digits, "0").rstrip("0")


def _format_float(x: float) -> str:
    if math.isinf(x) or math.isnan(x):
        raise CalculatorError("numeric overflow: the result is not a finite number")
    if x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


@tool(timeout=5.0)
def calculator(expression: Annotated[str, Field(min_length=1, max_length=MAX_EXPRESSION_CHARS)]) -> str:
    """Evaluate an arithmetic expression exactly, e.g. "3 * 148 * 1.12" or "sqrt(2) * pi".

    Operators + - * / // % ** ^ and math functions such as sqrt, log, sin, factorial, round.

    Args:
        expression: The expression to evaluate, for example "(3 + 4) * 2 / 7".
    """
    return format_number(evaluate(expression))
