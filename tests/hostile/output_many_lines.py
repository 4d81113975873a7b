# category: huge output
# expect: output
# Endless short lines.
while True:
    print("line of output")
