# category: deep recursion
# expect: crash, error, memory, timeout
# Lifts the recursion limit first. Platform-dependent: CPython 3.11 keeps Python-to-Python calls off
# the C stack, so frames pile up until the memory limit or the clock; older versions overflow the C stack.
import sys
sys.setrecursionlimit(10**9)

def f(n):
    return f(n + 1)

f(0)
