# category: read environment
# expect: refused
# Opens the server's memory through /proc/<parent pid>/mem.
import os
print(open(f"/proc/{os.getppid()}/mem", "rb").read(100))
