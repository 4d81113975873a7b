# category: read environment
# expect: refused
# Reads the server's environment through /proc/<parent pid>/environ.
import os
print(open(f"/proc/{os.getppid()}/environ", "rb").read())
