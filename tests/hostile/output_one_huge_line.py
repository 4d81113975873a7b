# category: huge output
# expect: output
# One 50 MB line on stdout.
print("x" * 50_000_000)
