# category: huge output
# expect: output
# Writes straight to file descriptor 1, past sys.stdout.
import os
while True:
    os.write(1, b"y" * 65536)
