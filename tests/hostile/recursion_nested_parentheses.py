# category: deep recursion
# expect: error
# A parser bomb: 100,000 nested parentheses.
eval("(" * 100_000 + ")" * 100_000)
