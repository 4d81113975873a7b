# category: huge output
# expect: output
# Floods stderr instead of stdout.
import sys
while True:
    sys.stderr.write("e" * 1000)
