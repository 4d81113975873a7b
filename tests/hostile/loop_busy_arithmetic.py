# category: busy CPU
# expect: timeout
# Busy arithmetic that never returns.
x = 0
while True:
    x = (x * 31 + 7) % 1000003
