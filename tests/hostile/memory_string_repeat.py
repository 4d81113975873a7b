# category: memory bomb
# expect: memory
# A ten-gigabyte string.
s = "x" * (10 * 1024**3)
