# category: deep recursion
# expect: error
# Unbounded Python recursion.
def f(n):
    return f(n + 1)

f(0)
